"""``save_best`` checkpoints survive a kill while the new best is being written.

MMEngine deletes the previous best checkpoint and then writes the new one under its final
name; a kill in between leaves a truncated best file and no good one (asserted below with
MMEngine's own hook, the protection removed). AtomicCheckpointHook writes through a temporary
file and deletes the previous best only after the rename.
"""
import itertools
from pathlib import Path

import pytest
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.runner import Runner

from fdkd_mm.engine.hooks import AtomicCheckpointHook  # noqa: F401  (registers it)
from reliability_utils import load_ckpt
from toy_checkpointing import KilledWhileWriting, checkpoint_loads, half_write_then_die, toy_runner


class RisingScore(BaseMetric):
    """Every validation, also after a resume, scores higher than all before: a new best."""

    validations = itertools.count(1)

    def process(self, data_batch, data_samples) -> None:
        self.results.append(0)

    def compute_metrics(self, results) -> dict:
        return dict(score=float(next(self.validations)))


def best_keeping(work_dir: Path, hook_type: str, max_iters: int, resume: bool = False) -> Runner:
    """A toy run validating every iteration (each a new best), saving the best via hook_type."""
    return toy_runner(work_dir, dict(type=hook_type, save_best='score', rule='greater'),
                      max_iters, resume=resume, val_evaluator=Evaluator([RisingScore()]))


def crash_writing_best_of_iter3(work: Path, monkeypatch, hook_type: str) -> None:
    half_write_then_die(monkeypatch, 'best_score_iter_3.pth')
    with pytest.raises(KilledWhileWriting):
        best_keeping(work, hook_type, max_iters=5).train()
    monkeypatch.undo()


def test_kill_while_writing_best_keeps_the_previous_best(tmp_path, monkeypatch):
    crash_writing_best_of_iter3(tmp_path, monkeypatch, 'AtomicCheckpointHook')
    assert checkpoint_loads(tmp_path / 'best_score_iter_2.pth')
    new_best = tmp_path / 'best_score_iter_3.pth'
    assert not new_best.exists() or checkpoint_loads(new_best), 'half-written best checkpoint'
    # Resume: later bests replace the old one, and no stale file is left behind.
    best_keeping(tmp_path, 'AtomicCheckpointHook', max_iters=5, resume=True).train()
    assert sorted(p.name for p in tmp_path.glob('best_*')) == ['best_score_iter_5.pth']
    assert load_ckpt(tmp_path / 'best_score_iter_5.pth')['meta']['iter'] == 5
    assert not list(tmp_path.glob('*.tmp'))


def test_best_checkpoints_are_rotated_after_the_write(tmp_path):
    best_keeping(tmp_path, 'AtomicCheckpointHook', max_iters=3).train()
    assert sorted(p.name for p in tmp_path.glob('best_*')) == ['best_score_iter_3.pth']
    assert checkpoint_loads(tmp_path / 'best_score_iter_3.pth')


def test_mmengine_hook_loses_the_best_checkpoint(tmp_path, monkeypatch):
    """The unprotected baseline: the same kill leaves no loadable best checkpoint."""
    crash_writing_best_of_iter3(tmp_path, monkeypatch, 'CheckpointHook')
    best = list(tmp_path.glob('best_*'))
    assert best and not any(checkpoint_loads(path) for path in best)
