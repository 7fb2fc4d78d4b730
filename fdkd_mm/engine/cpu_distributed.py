"""Distributed set-up that MMEngine's launchers do not cover: CPU-only processes."""
import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log


def prepare_cpu_distributed(cfg: Config) -> bool:
    """Let ``--launcher pytorch`` run without GPUs (gloo), e.g. for CI or debugging.

    MMEngine's pytorch launcher calls ``torch.cuda.set_device`` and wraps the model with
    ``device_ids=[LOCAL_RANK]``; both fail for CPU processes. When no GPU is present this
    initialises the process group with gloo first (the Runner then skips its own init) and
    wraps the model with ``device_ids=None``. SyncBN has no CPU kernel, so ``sync_bn`` is
    switched off too.

    Args:
        cfg: The full training/test config; modified in place.

    Returns:
        Whether the CPU path was taken.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return False
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
    if cfg.get('sync_bn'):
        cfg.sync_bn = None
    print_log(f'CPU distributed run: gloo, world size {dist.get_world_size()}',
              logger='current')
    return True


def shutdown_distributed() -> None:
    """End a successful distributed run: wait for every rank, then destroy the process group.

    Without it the process group is torn down during interpreter finalisation: gloo's worker
    threads may still hold work objects whose tensors need the GIL, and the process aborts
    (``terminate called without an active exception``, SIGABRT) after training has finished;
    torchrun then reports the run as failed and stops the other ranks, possibly in the middle
    of writing the last or best checkpoint. The barrier makes every rank finish its last
    checkpoint and validation first. Call it only after a successful run: after an error the
    other ranks may never reach the barrier.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
