"""The ``last_checkpoint`` pointer of a work dir: the file naming the newest checkpoint.

MMEngine's ``CheckpointHook`` (here ``AtomicCheckpointHook``, which writes it atomically) keeps
``work_dir/last_checkpoint`` holding the path of the last checkpoint saved; ``--resume`` reads
it. Each reader decides what a missing pointer or a missing checkpoint means.
"""
import os.path as osp
from typing import Optional

POINTER_NAME = 'last_checkpoint'


def last_checkpoint_pointer(work_dir: str) -> str:
    """The path of the pointer file of ``work_dir``.

    Args:
        work_dir: A run's work dir.

    Returns:
        ``work_dir/last_checkpoint``.
    """
    return osp.join(work_dir, POINTER_NAME)


def read_last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint path ``work_dir/last_checkpoint`` names (stripped), unchecked.

    Args:
        work_dir: A run's work dir.

    Returns:
        The path written in the pointer (possibly empty, possibly not existing); ``None`` when
        there is no pointer file.
    """
    pointer = last_checkpoint_pointer(work_dir)
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        return f.read().strip()
