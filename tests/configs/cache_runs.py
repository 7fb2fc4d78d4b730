"""Tiny real-config runs with a teacher cache: a saved random teacher, its cache, both runs.

A :class:`CachedPair` holds one shrunk config (tests/configs/tiny_runs.py) whose teacher is a
randomly initialised network saved as ``teacher.pth``, the initial weights of the whole
distiller (``init.pth``, so a live and a cached run start from the same student, connectors
and loss heads), and the teacher cache written by ``tools/cache_teacher.py``'s code from it.
"""
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, init_default_scope

from fdkd_mm.registry import MODELS
from fdkd_mm.teacher_cache import apply_teacher_cache
from fdkd_mm.teacher_cache.build import build_teacher_cache
from tiny_runs import tiny_config


@dataclass
class CachedPair:
    config: str
    data_roots: dict
    tokenizer_dir: str
    root: Path
    teacher_ckpt: str
    init_ckpt: str
    cache_root: str
    #: Training crop of an image student, instead of tiny_config's 32 pixels.
    image_crop: Optional[int] = None
    #: Config entries changed before shrinking (tiny_config's ``overrides``).
    overrides: Optional[dict] = None

    def cfg(self, name: str, cached: bool, iters: int = 2,
            cache_root: Optional[str] = None) -> Config:
        """The tiny run config, live or reading the cache, starting from ``init.pth``."""
        cfg = tiny_config(self.config, self.data_roots, self.tokenizer_dir, self.root / name,
                          self.overrides)
        cfg.train_cfg.max_iters = iters
        if self.image_crop:
            for transform in cfg.train_dataloader.dataset.pipeline:
                if transform.type.endswith('.RandomResizedCrop'):
                    transform.scale = self.image_crop
        cfg.model.teacher_ckpt = self.teacher_ckpt
        cfg.load_from = self.init_ckpt
        if cached:
            cfg.model.teacher_cache = dict(path=cache_root or self.cache_root)
            apply_teacher_cache(cfg)  # as tools/train.py does
        return cfg

    def model(self, cached: bool, cache_root: Optional[str] = None):
        """The distiller with the initial weights (teacher from teacher.pth)."""
        cfg = self.cfg('model', cached, cache_root=cache_root)
        model = MODELS.build(cfg.model.to_dict())
        state = torch.load(self.init_ckpt, weights_only=True)['state_dict']
        if cached:
            state = {k: v for k, v in state.items() if not k.startswith('teacher.')}
        model.load_state_dict(state, strict=True)
        return model.train()

    def dataset(self, cached: bool):
        """The training set with the run's pipeline."""
        cfg = self.cfg('data', cached)
        return DATASETS.build(cfg.train_dataloader.dataset), cfg.train_dataloader.dataset


def make_pair(config: str, data_roots: dict, tokenizer_dir: str, root: Path,
              dtype: str = 'fp32', recorders='used', seed: int = 0,
              overrides: Optional[dict] = None) -> CachedPair:
    """Save a random teacher and the initial weights of ``config``'s tiny run; cache it."""
    init_default_scope('fdkd_mm')
    root.mkdir(parents=True, exist_ok=True)
    cfg = tiny_config(config, data_roots, tokenizer_dir, root / 'setup', overrides)
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model.to_dict())
    model.init_weights()
    teacher_ckpt, init_ckpt = str(root / 'teacher.pth'), str(root / 'init.pth')
    torch.save(dict(state_dict=model.teacher.state_dict()), teacher_ckpt)
    torch.save(dict(state_dict=model.state_dict()), init_ckpt)
    cfg.model.teacher_ckpt = teacher_ckpt
    cache_root = str(root / f'cache_{dtype}')
    build_teacher_cache(cfg, cache_root, dtype=dtype, recorders=recorders, device='cpu',
                        progress=False)
    return CachedPair(config, data_roots, tokenizer_dir, root, teacher_ckpt, init_ckpt,
                      cache_root, overrides=overrides)


def fixed_batch(dataset, indices=(3, 0)) -> dict:
    """A collated batch of the given samples (in that order)."""
    return pseudo_collate([dataset[i] for i in indices])


def losses(model, batch: dict, seed: int = 1) -> dict:
    """The training losses of ``model`` on a copy of ``batch``."""
    torch.manual_seed(seed)
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    return model.loss(data['inputs'], data['data_samples'])


def trained_weights(runner) -> dict:
    """The runner's model weights other than the teacher's."""
    return {k: v.clone() for k, v in runner.model.state_dict().items()
            if not k.startswith('teacher.')}
