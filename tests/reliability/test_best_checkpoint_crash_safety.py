"""``save_best`` checkpoints survive a kill while the new best is being written.

MMEngine deletes the previous best checkpoint and then writes the new one under its final
name; a kill in between leaves a truncated best file and no good one (asserted below with
MMEngine's own hook, the protection removed). AtomicCheckpointHook writes through a temporary
file and deletes the previous best only after the rename.
"""
import itertools
import time
from pathlib import Path

import pytest
import torch
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.runner import Runner

from fdkd_mm.engine.hooks import AtomicCheckpointHook  # noqa: F401  (registers it)
from reliability_utils import load_ckpt
from toy_checkpointing import KilledWhileWriting, ToyModel, checkpoint_loads, half_write_then_die


class RisingScore(BaseMetric):
    """Every validation, also after a resume, scores higher than all before: a new best."""

    validations = itertools.count(1)

    def process(self, data_batch, data_samples) -> None:
        self.results.append(0)

    def compute_metrics(self, results) -> dict:
        return dict(score=float(next(self.validations)))


def toy_runner(work_dir: Path, hook_type: str, max_iters: int, resume: bool = False) -> Runner:
    data = [dict(inputs=torch.randn(4)) for _ in range(8)]
    loader = dict(dataset=data, sampler=dict(type='DefaultSampler', shuffle=False),
                  batch_size=2, collate_fn=dict(type='pseudo_collate'))
    return Runner(
        model=ToyModel(), work_dir=str(work_dir), experiment_name=f'toy{time.time_ns()}',
        train_dataloader=loader, val_dataloader=dict(loader, dataset=data[:2]),
        train_cfg=dict(by_epoch=False, max_iters=max_iters, val_interval=1),
        val_cfg=dict(), val_evaluator=Evaluator([RisingScore()]),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type=hook_type, by_epoch=False, interval=1,
                                           save_best='score', rule='greater')),
        default_scope='fdkd_mm', resume=resume, randomness=dict(seed=0))


def crash_writing_best_of_iter3(work: Path, monkeypatch, hook_type: str) -> None:
    half_write_then_die(monkeypatch, 'best_score_iter_3.pth')
    with pytest.raises(KilledWhileWriting):
        toy_runner(work, hook_type, max_iters=5).train()
    monkeypatch.undo()


def test_kill_while_writing_best_keeps_the_previous_best(tmp_path, monkeypatch):
    crash_writing_best_of_iter3(tmp_path, monkeypatch, 'AtomicCheckpointHook')
    assert checkpoint_loads(tmp_path / 'best_score_iter_2.pth')
    new_best = tmp_path / 'best_score_iter_3.pth'
    assert not new_best.exists() or checkpoint_loads(new_best), 'half-written best checkpoint'
    # Resume: later bests replace the old one, and no stale file is left behind.
    toy_runner(tmp_path, 'AtomicCheckpointHook', max_iters=5, resume=True).train()
    assert sorted(p.name for p in tmp_path.glob('best_*')) == ['best_score_iter_5.pth']
    assert load_ckpt(tmp_path / 'best_score_iter_5.pth')['meta']['iter'] == 5
    assert not list(tmp_path.glob('*.tmp'))


def test_best_checkpoints_are_rotated_after_the_write(tmp_path):
    toy_runner(tmp_path, 'AtomicCheckpointHook', max_iters=3).train()
    assert sorted(p.name for p in tmp_path.glob('best_*')) == ['best_score_iter_3.pth']
    assert checkpoint_loads(tmp_path / 'best_score_iter_3.pth')


def test_mmengine_hook_loses_the_best_checkpoint(tmp_path, monkeypatch):
    """The unprotected baseline: the same kill leaves no loadable best checkpoint."""
    crash_writing_best_of_iter3(tmp_path, monkeypatch, 'CheckpointHook')
    best = list(tmp_path.glob('best_*'))
    assert best and not any(checkpoint_loads(path) for path in best)
