"""A fusion teacher is cached, checked and read by the rules of a one-input teacher.

AV-MNIST's image-audio fusion teacher -> image student (KD; a packer-only pipeline): the cache
written by tools/cache_teacher.py holds the live fusion teacher's tensors, and two training
iterations from it log the live run's losses. CREMA-D's fusion teacher (random crops, flips
and frame sampling on the visual frames) is refused naming the modality and the transform, and
a cache of a one-input teacher is refused for a fusion run and the other way round.
"""
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from cache_runs import fixed_batch, make_pair
from tiny_runs import REPO, tiny_config, train
from fdkd_mm.datasets.pipeline_split.teacher import RandomTeacherTransformError
from fdkd_mm.registry import MODELS
from fdkd_mm.teacher_cache import TeacherCacheError, apply_teacher_cache
from fdkd_mm.teacher_cache.manifest import dataset_record
from fdkd_mm.teacher_cache.store import TeacherCacheReader

FUSION = 'configs/mm/kd_fusion-r18-ia_r18-image_avmnist.py'
ONE_INPUT = 'configs/kd/kd_r18-audio_r18-image_avmnist.py'
CREMAD_FUSION = ('configs/mm/kd_fusion-r18-av_r18-audio_cremad.py',
                 'configs/mm/kd_fusion-r18-av_r18-visual_cremad.py')
AVMNIST = {'train_dataloader.dataset.val_size': 2}  # 12 synthetic pairs


def load_tool():
    spec = importlib.util.spec_from_file_location('cache_teacher',
                                                  REPO / 'tools' / 'cache_teacher.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def fusion(data_roots, tokenizer_dir, tmp_path_factory):
    """The fusion pair (its cache also written by the tool, as ``tool_cache``)."""
    root = tmp_path_factory.mktemp('fusion')
    pair = make_pair(FUSION, data_roots, tokenizer_dir, root, overrides=AVMNIST)
    cfg = pair.cfg('tool', cached=False)
    config = root / 'tiny.json'  # a .py dump sorts the keys, so the fusion's branch order too
    cfg.dump(str(config))
    pair.tool_cache = str(root / 'tool_cache')
    load_tool().main([str(config), '--out', pair.tool_cache, '--num-workers', '0',
                      '--device', 'cpu'])
    return pair


@pytest.fixture(scope='module')
def one_input(data_roots, tokenizer_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp('one_input')
    return make_pair(ONE_INPUT, data_roots, tokenizer_dir, root, overrides=AVMNIST)


def test_the_tools_cache_holds_the_live_fusion_teachers_tensors(fusion):
    reader = TeacherCacheReader(f'{fusion.tool_cache}/train')
    teacher = reader.manifest['teacher']
    assert teacher['input'] == 'image+audio'
    assert teacher['transforms'] == {'image': [], 'audio': []}  # the packer only
    assert reader.manifest['dataset']['input_key'] == ['image', 'audio']
    live = fusion.model(cached=False).eval()
    dataset, _ = fusion.dataset(cached=False)
    indices = (3, 0)
    data = live.data_preprocessor(fixed_batch(dataset, indices), True)
    live.teachers['teacher'].forward_batch(data['inputs'], None)
    for name in reader.manifest['recorders']:
        expected = live.teachers['teacher'].recorded(name, len(indices)).numpy()
        got = reader.rows(name, np.asarray(indices))
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_training_from_the_cache_logs_the_live_losses(fusion):
    records = {}
    for cached in (False, True):
        cfg = fusion.cfg(f'train_{cached}', cached, cache_root=fusion.tool_cache)
        pack = cfg.train_dataloader.dataset.pipeline[-1]
        # The student's modality stays; the teacher-only one is left out of a cached run.
        assert list(pack['keys']) == (['image'] if cached else ['image', 'audio'])
        _, records[cached] = train(cfg)
    for live, cached in zip(records[False], records[True]):
        losses = {k: v for k, v in live.items() if 'loss' in k and not k.startswith('teacher')}
        assert any(k.startswith('distill') for k in losses), losses
        for key, value in losses.items():
            assert cached[key] == pytest.approx(value, rel=1e-6, abs=1e-6), key


@pytest.mark.parametrize('config', CREMAD_FUSION)
def test_a_fusion_teacher_with_random_transforms_is_refused(config, data_roots, tokenizer_dir,
                                                            fusion, tmp_path):
    cfg = tiny_config(config, data_roots, tokenizer_dir, tmp_path / 'work')
    cfg.model.teacher_ckpt = fusion.teacher_ckpt  # not read: refused before
    with pytest.raises(RandomTeacherTransformError, match=r"'visual' passes .*Frames"):
        from fdkd_mm.teacher_cache.build import build_teacher_cache
        build_teacher_cache(cfg, str(tmp_path / 'cache'), device='cpu', progress=False)
    # A run pointed at a cache of that teacher is refused by the same rule.
    store = tmp_path / 'fake' / 'train'
    shutil.copytree(f'{fusion.cache_root}/train', store)
    manifest = json.loads((store / 'manifest.json').read_text())
    manifest['teacher']['input'] = 'audio+visual'
    (store / 'manifest.json').write_text(json.dumps(manifest))
    cfg.model.teacher_cache = dict(path=str(store.parent))
    with pytest.raises(RandomTeacherTransformError, match=r"'visual' passes .*Frames"):
        apply_teacher_cache(cfg)


def test_the_student_modality_of_a_fusion_teacher_must_be_deterministic(fusion):
    cfg = fusion.cfg('random_student', cached=False)
    pipeline = cfg.train_dataloader.dataset.pipeline
    # AV-MNIST's arrays come with the data info: a transform there reaches the image too.
    pipeline.insert(0, dict(type='mmpretrain.GaussianBlur', prob=0.5, radius=1))
    cfg.model.teacher_cache = dict(path=fusion.cache_root)
    with pytest.raises(RandomTeacherTransformError, match=r"'image' passes mmpretrain.Gauss"):
        apply_teacher_cache(cfg)


def test_one_input_and_fusion_caches_are_not_exchanged(fusion, one_input):
    for run, cache in ((fusion, one_input), (one_input, fusion)):
        cfg = run.cfg('exchanged', cached=False)
        cfg.model.teacher_cache = dict(path=cache.cache_root)
        with pytest.raises(TeacherCacheError, match=r'teacher input: .* in the cache'):
            apply_teacher_cache(cfg)
        with pytest.raises(TeacherCacheError, match=r'teacher input: .* in the cache'):
            MODELS.build(cfg.model.to_dict())


def test_the_cached_fusion_teacher_checks_every_input_key(fusion):
    model = fusion.model(cached=True)
    teacher = model.teachers['teacher']
    assert teacher.input_keys == ('image', 'audio')
    dataset, dataset_cfg = fusion.dataset(cached=True)
    teacher.check_data(dataset, dataset_cfg, 'train pipeline')
    changed = Config(dict(pipeline=[dict(type='mmcv.Resize', scale=(28, 28))]
                          + list(dataset_cfg.pipeline))).pipeline
    with pytest.raises(TeacherCacheError, match=r"transforms of 'image'"):
        teacher.check_data(dataset, dict(dataset_cfg, pipeline=changed), 'train pipeline')


class _Samples:
    """A dataset of data infos (what ``dataset_record`` reads)."""

    def __init__(self, infos):
        self.infos = infos

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, index):
        return self.infos[index]


def test_the_dataset_record_covers_every_input_key():
    infos = [dict(image=np.zeros((1, 2, 2), np.float32), audio=np.zeros((1, 3), np.float32))]
    other = [dict(infos[0], audio=np.ones((1, 3), np.float32))]
    record = dataset_record(_Samples(infos), dict(type='X'), ['image', 'audio'])
    assert record['input_key'] == ['image', 'audio']
    assert record['samples_sha256'] != dataset_record(_Samples(other), dict(type='X'),
                                                      ['image', 'audio'])['samples_sha256']
    # Arrays are digested by their bytes, not an elided repr.
    big = [dict(image=np.zeros(5000, np.float32))]
    changed = [dict(image=np.concatenate([np.zeros(2500), [1.0], np.zeros(2499)]).astype(
        np.float32))]
    assert (dataset_record(_Samples(big), {}, 'image')['samples_sha256']
            != dataset_record(_Samples(changed), {}, 'image')['samples_sha256'])


def test_a_one_input_teachers_records_keep_their_form(one_input):
    manifest = TeacherCacheReader(f'{one_input.cache_root}/train').manifest
    assert manifest['teacher']['input'] == 'audio'
    assert manifest['teacher']['transforms'] == []
    assert manifest['dataset']['input_key'] == 'audio'


def test_a_cache_of_the_branches_joined_in_another_order_is_refused(fusion):
    cfg = fusion.cfg('swapped', cached=True)
    backbones = cfg.model.teacher.backbones
    cfg.model.teacher.backbones = dict(audio=backbones['audio'], image=backbones['image'])
    with pytest.raises(TeacherCacheError, match=r'backbones_order'):
        MODELS.build(cfg.model.to_dict())


def test_batch_augments_of_one_fusion_branch_are_refused(fusion, tmp_path):
    from fdkd_mm.teacher_cache.build import build_teacher_cache
    cfg = fusion.cfg('augments', cached=False)
    cfg.model.teacher.data_preprocessor.preprocessors.audio.update(
        num_classes=10, batch_augments=dict(augments=[dict(type='Mixup', alpha=0.8)]))
    with pytest.raises(TeacherCacheError, match='batch augments'):
        build_teacher_cache(cfg, str(tmp_path / 'cache'), device='cpu', progress=False)
