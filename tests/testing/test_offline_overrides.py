"""fdkd_mm.testing.overrides: the CPU / offline overrides leave no weight download in a config.

Before: the overrides set ``<network>.pretrained=None`` only, so the mixing configs (SegFormer's
MiT-B0 ``init_cfg``) and the CrisisMMD MobileNetV2 still fetched ImageNet weights.
"""
from pathlib import Path

import pytest
from mmengine.config import Config

from fdkd_mm.testing.overrides import nyu_config_cpu_overrides, offline_weight_options

REPO = Path(__file__).resolve().parents[2]
#: Every shipped config whose networks name released weights, and two that name none.
CONFIGS = sorted(str(p.relative_to(REPO)) for p in (REPO / 'configs' / 'mixing').glob('*.py')) + [
    'configs/uni/uni_dlv3p-r18-depth_nyu.py', 'configs/uni/uni_mbv2-image_crisismmd.py',
    'configs/kd/kd_bert-text_mbv2-image_crisismmd.py', 'configs/fdkd/nyu_depth_to_rgb.py',
    'configs/uni/uni_r18-audio_cremad.py']


def downloads(node, path='') -> list:
    """Key paths of every remote weight source: a URL-like string under a ``pretrained`` or
    ``checkpoint`` key, an ``init_cfg`` of type Pretrained, a zoo ``pretrained=True``."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f'{path}.{key}' if path else key
            if key in ('pretrained', 'checkpoint') and (
                    value is True or (isinstance(value, str) and '://' in value)):
                found.append(where)
            elif key == 'type' and str(value).endswith('Pretrained'):
                found.append(where)
            else:
                found += downloads(value, where)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            found += downloads(value, f'{path}.{index}')
    return found


def parse(option: str) -> tuple:
    key, value = option.split('=', 1)
    return key, {'None': None, 'False': False}.get(value, value)


@pytest.mark.parametrize('config', CONFIGS)
def test_no_weight_download_is_left(config):
    cfg = Config.fromfile(str(REPO / config))
    options = offline_weight_options(cfg)
    cfg.merge_from_dict(dict(map(parse, options)))
    left = downloads({k: cfg.to_dict().get(k) for k in ('model', 'teacher_bank')})
    assert not left, f'{config}: still downloads through {left}'


def test_the_configs_with_downloads_had_some():
    # The test above could not fail on configs without downloads: these have them.
    for config in ('configs/mixing/uni_segformer-mitb0-depth_nyu.py',
                   'configs/uni/uni_mbv2-image_crisismmd.py',
                   'configs/uni/uni_dlv3p-r18-depth_nyu.py'):
        cfg = Config.fromfile(str(REPO / config)).to_dict()
        assert downloads({'model': cfg['model']}), config


def test_nyu_config_overrides_include_them(tmp_path):
    cfg = Config.fromfile(
        str(REPO / 'configs/mixing/fdkd_segformer-mitb0-depth_dlv3p-r18-rgb_nyu.py'))
    options = nyu_config_cpu_overrides(cfg, str(tmp_path), epochs=1)
    assert set(offline_weight_options(cfg)) <= set(options)
