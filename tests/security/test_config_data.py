"""Configs travel as data: stored by every checkpoint, read back without executing anything.

Checked against the protections removed: without ``check_registered`` in ``config_from_meta``
the stored ``type='subprocess.call'`` is built and creates its marker
(``test_tool_refusals``, ``test_inferencer_refusals``); with ``Config.fromstring`` back for a
text-only checkpoint, the text's payload runs.
"""
import re
import sys
import types
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from fdkd_mm.checkpoint.config_data import (CONFIG_DATA_KEY, UnsafeConfigError,
                                            check_registered, config_from_meta, config_to_data)
from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
from fdkd_mm.engine.hooks import CheckpointMetaHook
from fdkd_mm.testing import write_synthetic_cremad
from payloads import REPO, code_config_text, command_config

#: One config of each method and data family: the data form must rebuild each exactly.
SAMPLE_CONFIGS = ['configs/fdkd/fdkd_r18-audio_r18-visual_ave.py',
                  'configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py',
                  'configs/unpaired/ufd_r18-audio_r18-visual_cremad.py',
                  'configs/c2kd/c2kd_bert-text_mbv2-image_crisismmd.py']


@pytest.mark.parametrize('config', SAMPLE_CONFIGS)
def test_repository_configs_round_trip_as_checked_data(config, tmp_path):
    cfg = Config.fromfile(str(REPO / config))
    data = config_to_data(cfg)
    # Through a checkpoint file, read as every checkpoint is read.
    torch.save(dict(meta={CONFIG_DATA_KEY: data}), tmp_path / 'ckpt.pth')
    meta = torch.load(tmp_path / 'ckpt.pth', weights_only=True)['meta']
    rebuilt = config_from_meta(meta, 'ckpt.pth', '')
    # Equal as dicts: tuples stayed tuples (MMCV's transforms tell them from lists).
    assert rebuilt.to_dict() == cfg.to_dict()


@pytest.mark.parametrize('value, kind', [(lambda x: x, 'function'), (torch.nn.Linear, 'type'),
                                         (types, 'module'), (Path('a'), 'PosixPath')])
def test_values_that_are_not_data_are_refused_at_save_time(value, kind):
    cfg = Config(dict(model=dict(type='ResNet', head=[dict(act=value)])))
    with pytest.raises(TypeError, match=rf'config entry model\.head\[0\]\.act is a {kind} '):
        config_to_data(cfg)


@pytest.mark.parametrize('entry, message', [
    (dict(model=dict(type='mmseg.EncoderDecoder', backbone=dict(type='os.system'))),
     "model.backbone.type='os.system' is not registered"),
    (dict(model=dict(type='ResNet', _scope_='antigravity')),
     "model._scope_='antigravity' is not the scope of a registry"),
    (dict(default_scope='subprocess'), "default_scope='subprocess' is not the scope"),
    (dict(pipeline=[dict(type=None)]), 'pipeline[0].type=None is not registered'),
])
def test_unregistered_types_and_scopes_are_refused(entry, message):
    with pytest.raises(UnsafeConfigError,
                       match='refused the config stored in x.pth: .*' + re.escape(message)):
        check_registered(entry, 'x.pth')


def test_registered_types_pass_with_and_without_scope():
    check_registered(dict(default_scope='fdkd_mm', model=dict(
        type='mmpretrain.ImageClassifier', _scope_='mmpretrain',
        backbone=dict(type='fdkd_mm.FrameFoldingBackbone', backbone=dict(type='ResNet')),
        loss=dict(type='CrossEntropyLoss'))), 'x.pth')


def test_text_is_never_executed_and_data_names_only_registered_types(tmp_path):
    marker = tmp_path / 'marker'
    with pytest.raises(ValueError, match=r'x\.pth stores its config only as text .* never done '
                                         r'for a checkpoint\. Pass it\.'):
        config_from_meta(dict(cfg=code_config_text(marker)), 'x.pth', 'Pass it.')
    with pytest.raises(UnsafeConfigError, match="model.type='subprocess.call'"):
        config_from_meta({CONFIG_DATA_KEY: command_config(marker)}, 'x.pth', 'Pass it.')
    with pytest.raises(ValueError, match=r'x\.pth holds no config \(meta\["cfg_dict"\]\)\. '
                                         'Pass it.'):
        config_from_meta({}, 'x.pth', 'Pass it.')
    assert not marker.exists()


class FakeRunner:
    """What CheckpointMetaHook reads of a runner."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg


def test_the_meta_hook_stores_the_config_as_data_in_every_checkpoint():
    cfg = Config.fromfile(str(REPO / SAMPLE_CONFIGS[0]))
    hook, runner = CheckpointMetaHook(), FakeRunner(cfg)
    for _ in range(2):
        checkpoint = dict(meta=dict(cfg=cfg.pretty_text))
        hook.before_save_checkpoint(runner, checkpoint)
        assert Config(checkpoint['meta'][CONFIG_DATA_KEY]).to_dict() == cfg.to_dict()
        assert checkpoint['meta']['fdkd_mm_model']['kind'] == 'distiller'


def test_the_meta_hook_logs_once_when_the_config_is_not_data(monkeypatch):
    logged = []
    monkeypatch.setattr(MMLogger, 'get_current_instance',
                        lambda: types.SimpleNamespace(log=lambda level, msg: logged.append(msg)))
    cfg = Config(dict(model=dict(type='ResNet'), optimizer=dict(type=torch.optim.SGD)))
    hook, runner = CheckpointMetaHook(), FakeRunner(cfg)
    for _ in range(2):
        checkpoint = dict(meta={})
        hook.before_save_checkpoint(runner, checkpoint)
        assert CONFIG_DATA_KEY not in checkpoint['meta']
    assert len(logged) == 1
    assert 'store no config data (config entry optimizer.type is a type' in logged[0]
    assert '--config' in logged[0]


def test_a_real_training_checkpoint_carries_its_config_as_data(tmp_path):
    """A 1-iteration run of a real config: its checkpoint's data rebuilds the run's config."""
    sys.path.insert(0, str(REPO / 'tests' / 'configs'))
    from tiny_runs import tiny_config
    write_synthetic_cremad(str(tmp_path / 'cremad'), clips_per_class=(1, 1))
    cfg = tiny_config('configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py',
                      dict(CremaDDataset=str(tmp_path / 'cremad')), '', tmp_path / 'work')
    cfg.train_cfg.max_iters = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    meta = load_checkpoint_file(tmp_path / 'work' / 'iter_1.pth')['meta']
    assert config_from_meta(meta, 'iter_1.pth', '').to_dict() == runner.cfg.to_dict()
