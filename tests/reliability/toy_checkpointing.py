"""A toy MMEngine model and a simulated kill inside a checkpoint write (crash-safety tests)."""
import os
import time
from pathlib import Path
from typing import Optional

import torch
from mmengine.fileio import LocalBackend
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

from reliability_utils import load_ckpt


class ToyModel(BaseModel):
    """One linear layer; its loss is the squared output."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(torch.stack(inputs))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


class KilledWhileWriting(BaseException):
    """Stands for the process dying: nothing after the write runs (not an Exception)."""


def half_write_then_die(monkeypatch, on_name: str) -> None:
    """Make the file backend write half of ``on_name``'s bytes, then 'kill' the process."""
    original = LocalBackend.put

    def put(self, obj, filepath):
        if os.path.basename(str(filepath)).startswith(on_name):
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
            raise KilledWhileWriting(filepath)
        return original(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', put)


def checkpoint_loads(path: Path) -> bool:
    """Whether ``path`` is a complete checkpoint (loads without error)."""
    try:
        load_ckpt(path)
        return True
    except Exception:
        return False


def toy_runner(work_dir: Path, checkpoint: dict, max_iters: int, resume: bool = False,
               val_evaluator: Optional[object] = None) -> Runner:
    """An iteration-based Runner of :class:`ToyModel` on 8 random samples (batch 2).

    Args:
        work_dir: Where checkpoints go.
        checkpoint: The checkpoint hook's config (``type`` and its arguments); it saves every
            iteration, not by epoch.
        max_iters: Iterations to train.
        resume: Resume from the work dir's last checkpoint.
        val_evaluator: With an evaluator, validate on 2 samples after every iteration.
    """
    data = [dict(inputs=torch.randn(4)) for _ in range(8)]
    loader = dict(dataset=data, sampler=dict(type='DefaultSampler', shuffle=False),
                  batch_size=2, collate_fn=dict(type='pseudo_collate'))
    train_cfg, validation = dict(by_epoch=False, max_iters=max_iters), {}
    if val_evaluator is not None:
        train_cfg['val_interval'] = 1
        validation = dict(val_dataloader=dict(loader, dataset=data[:2]), val_cfg=dict(),
                          val_evaluator=val_evaluator)
    return Runner(
        model=ToyModel(), work_dir=str(work_dir), experiment_name=f'toy{time.time_ns()}',
        train_dataloader=loader, train_cfg=train_cfg,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(checkpoint, by_epoch=False, interval=1)),
        default_scope='fdkd_mm', resume=resume, randomness=dict(seed=0), **validation)
