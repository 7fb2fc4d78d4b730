"""Seconds-long CPU runs of the configs ``tools/new_pair.py`` writes (tests, the tutorial)."""
from typing import Any, Optional

from mmengine.config import Config


def without_downloads(node: Any) -> Any:
    """Drop every ``Pretrained`` init config and mmseg's model-level ``pretrained`` URL.

    Args:
        node: A config (dicts and lists).

    Returns:
        A copy training from scratch, without any download.
    """
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == 'init_cfg' and isinstance(value, dict) and value.get('type') == 'Pretrained':
                continue
            if key == 'pretrained' and isinstance(value, str) and '://' in value:
                continue
            out[key] = without_downloads(value)
        return out
    if isinstance(node, (list, tuple)):
        return type(node)(without_downloads(value) for value in node)
    return node


def tiny_cfg(config: str, work_dir: str, teacher_ckpt: Optional[str] = None,
             distiller: bool = True) -> Config:
    """A generated config made into a short CPU run: no downloads, no workers, no SyncBN.

    Args:
        config: The config path.
        work_dir: Where the run writes.
        teacher_ckpt: The teacher checkpoint to read (None: an untrained teacher).
        distiller: Whether ``config`` is a distiller config.

    Returns:
        The config, ready for ``Runner.from_cfg``.
    """
    cfg = Config.fromfile(config)
    cfg.model = without_downloads(cfg.model.to_dict())
    if distiller:
        cfg.model['teacher_ckpt'] = teacher_ckpt
    if cfg.get('teacher_bank'):
        cfg.teacher_bank = without_downloads(cfg.teacher_bank.to_dict())
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                   'teacher_dataloader'):
        if not cfg.get(loader):
            continue
        cfg[loader]['num_workers'] = 0
        cfg[loader]['persistent_workers'] = False
    cfg.work_dir = work_dir
    cfg.env_cfg['cudnn_benchmark'] = False
    cfg.env_cfg['dist_cfg'] = dict(backend='gloo')
    cfg.sync_bn = None
    cfg.default_hooks['logger']['interval'] = 1
    cfg.launcher = 'none'
    return cfg
