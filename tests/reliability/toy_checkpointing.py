"""A toy MMEngine model and a simulated kill inside a checkpoint write (crash-safety tests)."""
import os
from pathlib import Path

import torch
from mmengine.fileio import LocalBackend
from mmengine.model import BaseModel
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
