"""A teacher cache serves only the run it was computed for; everything else is refused, named.

On the tiny CREMA-D audio -> visual KD run: another training set (length, sample order, a
dataset wrapper), other or random teacher input transforms, a run without the hook that checks
the data, and methods whose teacher trains (DML, C2KD).
"""
import copy
import csv

import pytest
from mmengine.runner import Runner

from cache_runs import make_pair
from fdkd_mm.registry import MODELS
from fdkd_mm.teacher_cache import apply_teacher_cache
from fdkd_mm.teacher_cache.manifest import TeacherCacheError
from fdkd_mm.testing import write_synthetic_cremad
from fdkd_mm.datasets.pipeline_split.teacher import RandomTeacherTransformError
from tiny_runs import tiny_config

KD = 'configs/kd/kd_r18-audio_r18-visual_cremad.py'


@pytest.fixture(scope='module')
def pair(data_roots, tokenizer_dir, tmp_path_factory):
    return make_pair(KD, data_roots, tokenizer_dir, tmp_path_factory.mktemp('refusals'))


def train(cfg) -> None:
    Runner.from_cfg(cfg).train()


def test_a_training_set_of_another_length_is_refused_before_training(pair, tmp_path):
    write_synthetic_cremad(str(tmp_path / 'cremad12'), clips_per_class=(2, 1))
    cfg = pair.cfg('longer', cached=True)
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'cremad12')
    with pytest.raises(TeacherCacheError, match='dataset length: 6 samples in the cache, 12 '
                                                'in the run'):
        train(cfg)


def test_the_same_clips_in_another_order_are_refused(pair, tmp_path):
    root = tmp_path / 'reordered'
    write_synthetic_cremad(str(root), clips_per_class=(1, 1))
    rows = list(csv.reader(open(root / 'train.csv')))
    with open(root / 'train.csv', 'w', newline='') as f:
        csv.writer(f).writerows(rows[::-1])
    cfg = pair.cfg('reordered', cached=True)
    cfg.train_dataloader.dataset.data_root = str(root)
    with pytest.raises(TeacherCacheError, match=r'dataset samples: the teacher inputs '
                                                r'\(audio_path\) of the run'):
        train(cfg)


def test_a_dataset_wrapper_is_refused(pair):
    cfg = pair.cfg('wrapped', cached=True)
    cfg.train_dataloader.dataset = dict(type='RepeatDataset', times=2,
                                        dataset=cfg.train_dataloader.dataset)
    with pytest.raises(TeacherCacheError, match='RepeatDataset: its samples carry the indices'):
        train(cfg)


@pytest.mark.parametrize('prepare', ['tools/train.py', 'hook only'])
def test_other_teacher_transforms_are_refused(pair, prepare):
    cfg = pair.cfg('other_transforms', cached=False)
    cfg.model.teacher_cache = dict(path=pair.cache_root)
    cfg.train_dataloader.dataset.pipeline[1].hop_length = 300
    expected = r'teacher input transforms .*\[1\]\.hop_length: 353 in the cache, 300 in the run'
    with pytest.raises(TeacherCacheError, match=expected):
        apply_teacher_cache(cfg) if prepare == 'tools/train.py' else train(cfg)


def test_a_random_teacher_transform_in_the_run_is_refused(pair):
    cfg = pair.cfg('random', cached=False)
    cfg.model.teacher_cache = dict(path=pair.cache_root)
    cfg.train_dataloader.dataset.pipeline[1].update(crop='random', tile_to=6.0)
    with pytest.raises(RandomTeacherTransformError, match="LogSpectrogram with crop='random'"):
        apply_teacher_cache(cfg)


def test_without_the_checking_hook_no_cached_row_is_read(pair):
    cfg = pair.cfg('no_hook', cached=True)
    cfg.custom_hooks = [h for h in cfg.custom_hooks if 'TeacherCacheHook' not in h['type']]
    with pytest.raises(RuntimeError, match='was not checked against the training set'):
        train(cfg)


@pytest.mark.parametrize('config', ['configs/dml/dml_r18-audio_r18-visual_cremad.py',
                                    'configs/c2kd/c2kd_r18-audio_r18-visual_cremad.py'])
def test_methods_that_train_their_teacher_are_refused(config, pair, data_roots):
    cfg = tiny_config(config, data_roots, '', pair.root / 'trainable')
    model = copy.deepcopy(cfg.model.to_dict())
    model.update(teacher_ckpt=pair.teacher_ckpt, teacher_cache=dict(path=pair.cache_root))
    with pytest.raises(ValueError, match=r'trainable teacher \(teacher_trainable=True, e.g. '
                                         r'DML or C2KD\)'):
        MODELS.build(model)
