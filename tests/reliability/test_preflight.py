"""fdkd_mm.config.preflight: what a config gets wrong is found before anything is built.

Before: a misspelt loss type failed after ~50 s (datasets, teacher and the pre-training
validation built first) as ``KeyError: 'FDCMKDLos is not in the mmengine::model registry'``,
not naming ``model.distill_losses.loss_fd.type``; ``train_cfg.max_epochs=two`` failed inside
MMEngine's loop; a missing teacher checkpoint after validation; an empty split file as
``need at least one array to concatenate``.
"""
import zipfile
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from fdkd_mm.config.config_paths import check_checkpoint_file, check_config_paths
from fdkd_mm.config.option_types import check_option_types
from fdkd_mm.config.preflight import preflight
from fdkd_mm.config.registry_types import check_registry_types, iter_types
from fdkd_mm.errors import (BankError, CacheError, CheckpointError, ConfigError, DataError,
                            TeacherError)

REPO = Path(__file__).resolve().parents[2]
PROMISED = REPO / 'configs' / 'fdkd' / 'nyu_depth_to_rgb.py'
#: One config of each kind (a method of each folder, the zoo mixes, unpaired, the teachers).
SAMPLES = sorted({next(iter(sorted(folder.glob('*.py')))) for folder in (REPO / 'configs').iterdir()
                  if folder.is_dir() and folder.name != '_base_' and any(folder.glob('*.py'))}
                 | set((REPO / 'configs' / 'mixing').glob('*.py')))


@pytest.fixture(scope='module')
def promised() -> Config:
    return Config.fromfile(str(PROMISED))


def plain(cfg: Config) -> dict:
    return cfg.to_dict()


@pytest.mark.parametrize('config', SAMPLES, ids=lambda p: f'{p.parent.name}/{p.name}')
def test_every_type_of_the_shipped_configs_is_registered(config):
    check_registry_types(Config.fromfile(str(config)).to_dict(), str(config))


def test_iter_types_walks_nested_dicts_and_lists():
    cfg = dict(model=dict(type='A', losses=dict(l=dict(type='B', inner=[dict(type='C')]))),
               pipeline=[dict(type='D'), dict(type=object)], x=dict(_scope_='s', y=dict(type='E')))
    assert list(iter_types(cfg)) == [('model.type', 'A', None),
                                     ('model.losses.l.type', 'B', None),
                                     ('model.losses.l.inner.0.type', 'C', None),
                                     ('pipeline.0.type', 'D', None), ('x.y.type', 'E', 's')]


@pytest.mark.parametrize('key, wrong, right', [
    ('model.distill_losses.loss_fd.type', 'FDCMKDLos', 'FDCMKDLoss'),
    ('model.distill_losses.loss_fd.decoupler.type', 'FrequencyDecouplr', 'FrequencyDecoupler'),
    ('train_dataloader.dataset.pipeline.1.type', 'LoadDepthFromFiel', 'LoadDepthFromFile'),
    ('default_hooks.checkpoint.type', 'fdkd_mm.AtomicCheckpointHok',
     'fdkd_mm.AtomicCheckpointHook'),
    ('optim_wrapper.optimizer.type', 'SDG', None),
])
def test_misspelt_type_names_its_key_and_the_closest_name(promised, key, wrong, right):
    cfg = plain(promised)
    node = cfg
    parts = key.split('.')
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if not str(node['type']).endswith(right.split('.')[-1] if right else ''):
        pytest.fail(f'{key} of the promised config is {node["type"]!r}, not {right!r}')
    node['type'] = wrong
    with pytest.raises(ConfigError) as raised:
        check_registry_types(cfg, str(PROMISED))
    message = str(raised.value)
    assert message.startswith(f'{key}: unknown type {wrong!r}')
    if right:
        assert f'did you mean {right!r}?' in message
    assert str(PROMISED) in message


def test_option_types_refuse_text_for_a_number_or_switch(promised):
    base = plain(promised)
    with pytest.raises(ConfigError, match=r"--cfg-options train_cfg.max_epochs=two: "
                       r"train_cfg.max_epochs must be an integer \(the config holds 50\), got "
                       r"the text 'two'"):
        check_option_types(base, {'train_cfg.max_epochs': 'two'})
    with pytest.raises(ConfigError, match=r"ablation.frequency must be True or False .*did you "
                       r"mean False\?"):
        check_option_types(base, {'model.distill_losses.loss_fd.ablation.frequency': 'Flase'})
    with pytest.raises(ConfigError, match=r'optim_wrapper.optimizer.lr must be a number'):
        check_option_types(base, {'optim_wrapper.optimizer.lr': 'fast'})
    # Numbers, switches, None, lists, new keys and text where the config holds text pass.
    check_option_types(base, {'train_cfg.max_epochs': 2, 'optim_wrapper.optimizer.lr': 0.1,
                              'sync_bn': None, 'train_dataloader.dataset.data_root': 'x',
                              'model.distill_losses.loss_fd.ablation.frequency': False,
                              'train_dataloader.dataset.pipeline.3.scale': (80, 64),
                              'brand_new.key': 'text'})


def test_preflight_reads_the_config_file_for_option_types(promised):
    cfg = Config.fromfile(str(PROMISED))
    cfg.merge_from_dict({'train_cfg.max_epochs': 'two'})
    with pytest.raises(ConfigError, match='train_cfg.max_epochs'):
        preflight(cfg, {'train_cfg.max_epochs': 'two'}, paths=False)


def nyu_tree(root: Path) -> Path:
    from fdkd_mm.testing import write_synthetic_nyu
    return write_synthetic_nyu(root / 'nyu', num_train=2, num_test=1, height=16, width=20,
                               num_classes=3)


def with_data(cfg: dict, root: Path) -> dict:
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader']['dataset']['data_root'] = str(root)
    return cfg


def good_checkpoint(path: Path) -> Path:
    torch.save(dict(state_dict=dict(w=torch.zeros(3))), path)
    return path


def test_paths_missing_teacher_checkpoint_named_with_its_key(promised, tmp_path):
    cfg = with_data(plain(promised), nyu_tree(tmp_path))
    cfg['model']['teacher_ckpt'] = str(tmp_path / 'missing.pth')
    with pytest.raises(TeacherError, match=r"model.teacher_ckpt: checkpoint '.*missing.pth' "
                                           r'does not exist'):
        check_config_paths(cfg)
    cfg['model']['teacher_ckpt'] = str(good_checkpoint(tmp_path / 'teacher.pth'))
    check_config_paths(cfg)


def test_truncated_checkpoint_found_without_loading_it(tmp_path):
    ckpt = good_checkpoint(tmp_path / 'c.pth')
    check_checkpoint_file(str(ckpt), 'load_from')
    assert zipfile.is_zipfile(ckpt)
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match=r'load_from: checkpoint .*c.pth cannot be read: it '
                                              r'is truncated'):
        check_checkpoint_file(str(ckpt), 'load_from')
    ckpt.write_bytes(b'')
    with pytest.raises(CheckpointError, match=r'is empty \(0 bytes\)'):
        check_checkpoint_file(str(ckpt), 'load_from')


def test_paths_data_root_and_split_files(promised, tmp_path):
    root = nyu_tree(tmp_path)
    cfg = with_data(plain(promised), root)
    cfg['model']['teacher_ckpt'] = None
    cfg['train_dataloader']['dataset']['data_root'] = str(tmp_path / 'nowhere')
    with pytest.raises(DataError, match=r"train_dataloader.dataset.data_root: data root "
                                        r"'.*nowhere' does not exist"):
        check_config_paths(cfg)
    cfg = with_data(plain(promised), root)
    cfg['model']['teacher_ckpt'] = None
    (root / 'train.txt').write_text('\n  \n')
    with pytest.raises(DataError, match=r'train_dataloader.dataset.ann_file: split file '
                                        r'.*train.txt is empty'):
        check_config_paths(cfg)
    (root / 'train.txt').unlink()
    with pytest.raises(DataError, match=r'split file .*train.txt.* does not exist'):
        check_config_paths(cfg)
    # A test run checks the test split only.
    check_config_paths(cfg, splits=('test', ))


def test_paths_cache_and_bank(promised, tmp_path):
    cfg = with_data(plain(promised), nyu_tree(tmp_path))
    cfg['model']['teacher_ckpt'] = None
    cfg['model']['teacher_cache'] = dict(path=str(tmp_path / 'cache'))
    with pytest.raises(CacheError, match=r'model.teacher_cache.path: teacher cache .* does not '
                                         r'exist'):
        check_config_paths(cfg)
    cfg['model']['teacher_cache'] = None
    cfg['model']['distill_losses']['loss_fd']['bank_file'] = str(tmp_path / 'bank.pth')
    with pytest.raises(BankError, match=r'model.distill_losses.loss_fd.bank_file: teacher bank'):
        check_config_paths(cfg)


def test_missing_config_file_names_the_closest_one():
    from fdkd_mm.config.run_config import load_run_config
    from fdkd_mm.errors import MissingConfigError
    typo = REPO / 'configs' / 'fdkd' / 'nyu_depth_to_rbg.py'
    with pytest.raises(MissingConfigError, match=rf'config file {typo} does not exist; did you '
                                                 rf'mean {PROMISED}\?'):
        load_run_config(str(typo))
    assert issubclass(MissingConfigError, FileNotFoundError)
