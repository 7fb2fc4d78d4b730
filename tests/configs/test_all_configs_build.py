"""Every config under configs/ (except _base_) parses and builds its model.

Only what needs the network or earlier runs is replaced: teacher checkpoints (files produced
by the teacher runs) and local BERT weights (a directory the user provides) — the rest of
each model, pretrained ``init_cfg`` included (it only acts in ``init_weights``), is built as
written.
"""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from fdkd_mm.models.builder import build_scoped

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
CONFIGS = sorted(p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.parts)
# A 2-layer BERT stand-in for configs that load bert-base from a local directory.
TINY_BERT = dict(model_type='bert', vocab_size=64, hidden_size=768, num_hidden_layers=1,
                 num_attention_heads=2, intermediate_size=32, max_position_embeddings=140)


def offline(cfg):
    """Drop teacher checkpoints and swap local BERT weights for a tiny config, recursively."""
    if isinstance(cfg, dict):
        cfg = {key: offline(value) for key, value in cfg.items()}
        if 'teacher_ckpt' in cfg:
            cfg['teacher_ckpt'] = None
        if str(cfg.get('type', '')).endswith('HFTextEncoder'):
            cfg.update(pretrained=None, config=TINY_BERT)
        return cfg
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(offline(item) for item in cfg)
    return cfg


def test_the_walk_finds_the_product_configs():
    names = {p.relative_to(CONFIG_ROOT).as_posix() for p in CONFIGS}
    assert {'fdkd/nyu_depth_to_rgb.py', 'fdkd/nyu_rgb_to_depth.py',
            'teachers/nyu_depth_unimodal.py', 'teachers/nyu_rgb_unimodal.py'} <= names


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[p.relative_to(CONFIG_ROOT).as_posix() for p in CONFIGS])
def test_config_builds_its_model(path):
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    model = build_scoped(offline(cfg.model.to_dict()))
    assert sum(p.numel() for p in model.parameters()) > 0
    for key in ('train_dataloader', 'val_dataloader', 'optim_wrapper', 'train_cfg'):
        assert key in cfg, f'{path.name} lacks {key}'
