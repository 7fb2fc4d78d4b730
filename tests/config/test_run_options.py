"""Run options: every loader, every scheduler, refused top-level variables, the small runs."""
import argparse
import os
from pathlib import Path

import pytest
import torch
from mmengine.config import Config, DictAction

from fdkd_mm.config.run_config import load_run_config
from fdkd_mm.config.run_options import (add_run_options, apply_run_options, run_option_argv,
                                        set_epochs)
from fdkd_mm.config.small_runs import SMALL_RUNS, dataset_key, small_run_for
from fdkd_mm.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DISTILLER = 'configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py'
BANK = 'configs/unpaired/ufd_r18-audio_r18-visual_cremad.py'


@pytest.fixture(autouse=True)
def keep_threads(monkeypatch):
    """--threads changes the process: restore torch's threads and the environment."""
    before = torch.get_num_threads()
    for name in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        monkeypatch.setenv(name, os.environ.get(name, '1'))
    yield
    torch.set_num_threads(before)


def remote_weights(node) -> list[str]:
    """Every pretrained / init_cfg checkpoint below ``node`` that names a URL."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'pretrained' and isinstance(value, str) and '://' in value:
                found.append(value)
            elif key == 'init_cfg' and isinstance(value, dict) and '://' in str(
                    value.get('checkpoint', '')):
                found.append(value['checkpoint'])
            else:
                found += remote_weights(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            found += remote_weights(item)
    return found


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_run_options(parser)
    return parser.parse_args(list(argv))


def load(config: str, args: argparse.Namespace) -> Config:
    """As tools/train.py does: --cfg-options merged, then the run options."""
    cfg = load_run_config(str(REPO / config), cfg_options=args.cfg_options)
    return apply_run_options(cfg, args)


def dataset_roots(cfg) -> dict[str, str]:
    """Loader → data_root of the dataset below its wrappers, read by hand."""
    roots = {}
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'teacher_dataloader'):
        if cfg.get(key) is not None:
            dataset = cfg[key].dataset
            while 'dataset' in dataset:
                dataset = dataset.dataset
            roots[key] = dataset.data_root
    return roots


@pytest.mark.parametrize('config, loaders', [(DISTILLER, 3), (BANK, 4)])
def test_data_root_reaches_every_loader_below_wrappers(config, loaders, tmp_path):
    cfg = load(config, parse('--data-root', str(tmp_path)))
    roots = dataset_roots(cfg)
    assert len(roots) == loaders and set(roots.values()) == {str(tmp_path)}


def test_cfg_options_data_root_now_reaches_the_datasets(tmp_path):
    args = parse('--cfg-options', f'data_root={tmp_path}')
    # The friction: merged alone, the top-level variable changes no dataset.
    merged = load_run_config(str(REPO / DISTILLER), cfg_options=args.cfg_options)
    assert set(dataset_roots(merged).values()) == {'data/CREMA-D'}
    assert set(dataset_roots(apply_run_options(merged, args)).values()) == {str(tmp_path)}
    with pytest.raises(ConfigError, match='two data roots'):
        load(DISTILLER, parse('--data-root', 'a', '--cfg-options', 'data_root=b'))


def test_other_expanded_top_level_variables_are_refused_naming_their_keys():
    with pytest.raises(ConfigError, match=r'num_classes.*model\.student\.head\.num_classes'):
        load(DISTILLER, parse('--cfg-options', 'num_classes=3'))
    with pytest.raises(ConfigError, match=r'--pipeline-options num_frames'):
        load(DISTILLER, parse('--cfg-options', 'num_frames=2'))
    # Runner keys at the top level stay allowed.
    assert load(DISTILLER, parse('--cfg-options', 'sync_bn=None')).sync_bn is None


def test_batch_size_and_workers_reach_every_loader():
    cfg = load(BANK, parse('--batch-size', '3', '--workers', '0'))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'teacher_dataloader'):
        assert (cfg[key].batch_size, cfg[key].num_workers) == (3, 0)
        assert cfg[key].persistent_workers is False  # PyTorch refuses it without workers


def test_workers_never_exceed_the_cores_unless_asked(monkeypatch):
    monkeypatch.setattr(os, 'cpu_count', lambda: 2)
    cfg = load(DISTILLER, parse())
    assert cfg.train_dataloader.num_workers == 2  # the config says 8
    assert load(DISTILLER, parse('--workers', '6')).train_dataloader.num_workers == 6


def test_epochs_move_the_schedule_ends():
    cfg = load(DISTILLER, parse('--epochs', '3'))
    assert cfg.train_cfg.max_epochs == 3
    assert [s.end for s in cfg.param_scheduler] == [3]  # PolyLR ended at 100
    # CrisisMMD text: one-epoch warm-up, then poly from epoch 1 to 20.
    text = Config.fromfile(str(REPO / 'configs/uni/uni_bert-text_crisismmd.py'))
    set_epochs(text, 4)
    assert [(s.type, s.begin, s.end) for s in text.param_scheduler] == [
        ('LinearLR', 0, 1), ('PolyLR', 1, 4)]
    set_epochs(text, 1)  # the poly part would start after the run: left out
    assert [(s.type, s.end) for s in text.param_scheduler] == [('LinearLR', 1)]
    nyu = load('configs/fdkd/nyu_depth_to_rgb.py', parse('--epochs', '2'))
    # Both every 5 epochs in the config: a 2-epoch run validates and saves at its end.
    assert (nyu.train_cfg.val_interval, nyu.default_hooks.checkpoint.interval) == (2, 2)
    iters = Config(dict(train_cfg=dict(type='IterBasedTrainLoop', max_iters=10)))
    with pytest.raises(ConfigError, match='max_iters'):
        set_epochs(iters, 2)


def test_threads_set_torch_and_the_workers_environment(monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    torch.set_num_threads(2)
    load(DISTILLER, parse('--threads', '1'))
    assert torch.get_num_threads() == 1 and os.environ['OMP_NUM_THREADS'] == '1'


@pytest.mark.parametrize('config', [
    'configs/uni/uni_r18-visual_cremad.py', 'configs/uni/uni_r18-visual_ave.py',
    'configs/uni/uni_r18-visual_vggsound.py', 'configs/uni/uni_mbv2-image_crisismmd.py',
    'configs/uni/uni_dlv3p-r18-rgb_nyu.py'])
def test_every_dataset_has_a_small_run(config):
    cfg = load(config, parse('--small-run', '--epochs', '2'))
    recipe = small_run_for(cfg)
    assert recipe is SMALL_RUNS[dataset_key(cfg)]
    assert cfg.train_cfg.max_epochs == 2  # given: wins over the recipe
    assert (cfg.train_dataloader.batch_size, cfg.train_dataloader.num_workers) == (
        recipe.batch_size, 0)
    assert cfg.sync_bn is None
    before = Config.fromfile(str(REPO / config))
    if 'crisismmd' in config or 'nyu' in config:
        assert remote_weights(before.model.to_dict())  # ImageNet weights by URL ...
    assert remote_weights(cfg.model.to_dict()) == []  # ... not downloaded by a small run
    assert torch.get_num_threads() == recipe.threads
    assert run_option_argv(parse(*recipe.argv())) == recipe.argv()


def test_small_run_pipeline_names_keep_the_users_own():
    cfg = load('configs/uni/uni_r18-visual_cremad.py',
               parse('--small-run', '--pipeline-options', 'frame_size=40'))
    assert cfg.train_dataloader.dataset.pipeline[2].scale == 40
    assert SMALL_RUNS['cremad'].pipeline_options['frame_size'] != 40
    with pytest.raises(ConfigError, match='small-run recipe'):
        apply_run_options(Config(dict(train_dataloader=dict(dataset=dict(type='Other')))),
                          parse('--small-run'))
