"""Files that run code when read the unsafe way: each would create a marker file.

Every payload here is real: ``test_payloads_are_live`` reads each one the unsafe way and sees
its marker appear, so a test that finds no marker after a refusal proves the refusal.
"""
import os
import pickle
import sys
from pathlib import Path

import torch

#: What a test runs in subprocesses: the interpreter of the suite.
PYTHON = sys.executable
REPO = Path(__file__).resolve().parents[2]


class Payload:
    """Unpickling calls ``os.system('touch <marker>')``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


def payload_checkpoint(path: Path, marker: Path, base: dict = None,
                       legacy: bool = False) -> Path:
    """``base`` (default: one weight) with the payload in its meta.

    Args:
        path: Where to write.
        marker: The file the payload creates.
        base: The checkpoint to carry the payload (a real one makes the refusal the only
            failure).
        legacy: Write torch's old non-zip format (a bare pickle).
    """
    checkpoint = dict(base or {'state_dict': {'w': torch.ones(1)}})
    checkpoint['meta'] = dict(checkpoint.get('meta') or {}, extra=Payload(marker))
    torch.save(checkpoint, path, _use_new_zipfile_serialization=not legacy)
    return path


def payload_pickle(path: Path, marker: Path) -> Path:
    """A ``.pkl`` whose unpickling creates ``marker`` (as a crafted dataset file would)."""
    with open(path, 'wb') as f:
        pickle.dump(Payload(marker), f)
    return path


def code_config_text(marker: Path) -> str:
    """A config text that creates ``marker`` when executed (``Config.fromstring``)."""
    return f"model = dict(type='x')\n_ = __import__('os').system('touch {marker}')\n"


def command_config(marker: Path) -> dict:
    """Config data whose model, when built, runs a command: MMEngine's registries import an
    unregistered dotted ``type`` and call it with the other keys."""
    return dict(model=dict(type='subprocess.call', args=['touch', str(marker)]))
