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
