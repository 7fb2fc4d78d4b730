"""Let MMEngine 0.10.7 load its own checkpoints under torch >= 2.6."""
import os.path as osp
from typing import Optional

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def load_local_mmengine_checkpoint(filename: str, map_location: Optional[str] = None) -> dict:
    """Load a local checkpoint written by MMEngine, including its message hub.

    Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``. MMEngine 0.10.7 calls it
    without the argument, and its checkpoints pickle the message hub's ``HistoryBuffer`` (whose
    state holds bound methods), so resuming, testing and loading a teacher checkpoint all fail.
    That state cannot be allow-listed safely, so local checkpoints are unpickled fully, as
    MMEngine did on older torch: load only checkpoints you trust.

    Args:
        filename: Local path of the checkpoint.
        map_location: Same as :func:`torch.load`.

    Returns:
        The checkpoint dict.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} can not be found')
    return torch.load(filename, map_location=map_location, weights_only=False)


def register_checkpoint_loader() -> None:
    """Make MMEngine's ``CheckpointLoader`` use :func:`load_local_mmengine_checkpoint`.

    The empty prefix is MMEngine's scheme for local paths (it matches when no URL scheme does).
    """
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_mmengine_checkpoint,
                                     force=True)
