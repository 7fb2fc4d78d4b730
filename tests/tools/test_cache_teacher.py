"""tools/cache_teacher.py on the tiny CREMA-D audio -> visual KD run (synthetic clips, a saved
random teacher): what the cache holds, how it is written, and what the tool refuses."""
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, init_default_scope

REPO = Path(__file__).resolve().parents[2]
# The shrinking helpers of the config tests (tiny networks on synthetic data).
sys.path.insert(0, str(REPO / 'tests' / 'configs'))
from tiny_runs import tiny_config  # noqa: E402

from fdkd_mm.registry import MODELS  # noqa: E402
from fdkd_mm.models.pooling import pool_recorded  # noqa: E402
from fdkd_mm.models.recorders import FeatureRecorder  # noqa: E402
from fdkd_mm.checkpoint.file_hash import file_sha256  # noqa: E402
from fdkd_mm.datasets.pipeline_split.teacher import RandomTeacherTransformError  # noqa: E402

KD = 'configs/kd/kd_r18-audio_r18-visual_cremad.py'
KD_VISUAL_TEACHER = 'configs/kd/kd_r18-visual_r18-audio_cremad.py'


def load_tool():
    spec = importlib.util.spec_from_file_location('cache_teacher', REPO / 'tools' /
                                                  'cache_teacher.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def data_root(tmp_path_factory) -> str:
    from fdkd_mm.testing import write_synthetic_cremad
    root = tmp_path_factory.mktemp('cremad') / 'cremad'
    write_synthetic_cremad(str(root), clips_per_class=(1, 1))  # 6 training clips
    return str(root)


def tiny_config_file(config: str, data_root: str, tmp: Path, **model) -> tuple[Path, object]:
    """The tiny run of ``config`` with a saved random teacher, written as a config file."""
    init_default_scope('fdkd_mm')
    cfg = tiny_config(config, dict(CremaDDataset=data_root), '', tmp / 'work')
    torch.manual_seed(0)
    distiller = MODELS.build(cfg.model.to_dict())
    ckpt = tmp / 'teacher.pth'
    torch.save(dict(state_dict=distiller.teacher.state_dict()), ckpt)
    cfg.model.teacher_ckpt = str(ckpt)
    cfg.model.update(model)
    # tiny_config trains only; the config's own validation set (CREMA-D: the test split).
    from mmengine.config import Config
    cfg.val_dataloader = Config.fromfile(str(REPO / config)).val_dataloader
    cfg.val_dataloader.dataset.data_root = data_root
    path = tmp / 'tiny.py'
    cfg.dump(str(path))
    return path, distiller


def live_rows(distiller, config: Path, name: str, batch_size: int = 2) -> np.ndarray:
    """Recorder ``name`` of the live teacher over the training set, batch by batch."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(config))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    spec = dict(cfg.model.teacher_recorders[name])
    pool = spec.pop('pool', None)
    recorder = FeatureRecorder(distiller.teacher, **spec)
    distiller.eval()
    rows = []
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate([dataset[i] for i in range(start, start + batch_size)])
        data = distiller.data_preprocessor(batch, True)
        distiller.teachers['teacher'].run(data['inputs'], None, recorder)
        rows.append(pool_recorded(recorder.feature, batch_size, pool).numpy())
    return np.concatenate(rows)


def test_the_cache_holds_the_live_teachers_tensors(data_root, tmp_path):
    config, distiller = tiny_config_file(KD, data_root, tmp_path)
    out = tmp_path / 'cache'
    load_tool().main([str(config), '--out', str(out), '--num-workers', '0'])
    assert sorted(os.listdir(out)) == ['train']  # no temporary directory left
    manifest = json.loads((out / 'train' / 'manifest.json').read_text())
    teacher = manifest['teacher']
    assert teacher['checkpoint_sha256'] == file_sha256(str(tmp_path / 'teacher.pth'))
    assert teacher['input'] == 'audio'
    assert [t['type'] for t in teacher['transforms']] == ['fdkd_mm.LoadWaveform',
                                                          'fdkd_mm.LogSpectrogram']
    assert teacher['recorders'] == {'logits': dict(path='head.fc', source='output',
                                                   call_index=0, data_index=0, pool=None)}
    assert manifest['dataset']['length'] == 6 and manifest['num_written'] == 6
    assert manifest['recorders'] == {'logits': dict(kind='feature', shape=[6],
                                                    file='logits.npy')}
    assert manifest['dtype'] == 'fp32' and manifest['batch_size'] == 2
    # The training pipeline's batches, live: the same numbers bit for bit.
    stored = np.load(out / 'train' / 'logits.npy')
    np.testing.assert_array_equal(stored, live_rows(distiller, config, 'logits'))


def test_all_offered_tensors_in_half_precision(data_root, tmp_path):
    config, distiller = tiny_config_file(KD, data_root, tmp_path)
    out = tmp_path / 'cache'
    load_tool().main([str(config), '--out', str(out), '--num-workers', '0', '--recorders',
                      'all', '--dtype', 'fp16', '--splits', 'train', 'val'])
    assert sorted(os.listdir(out)) == ['train', 'val']
    manifest = json.loads((out / 'train' / 'manifest.json').read_text())
    assert sorted(manifest['recorders']) == sorted(
        ['logits', 'feat', 'feat_preact', 'preact_bn_weight', 'preact_bn_bias', 'head_weight',
         'head_bias', 'stage2', 'stage3', 'stage4'])
    assert manifest['recorders']['feat']['shape'] == [64]  # pooled: 8 x base width 8
    assert len(manifest['recorders']['stage2']['shape']) == 3  # a map, kept as recorded
    assert np.load(out / 'train' / 'feat.npy').dtype == np.float16
    bn = distiller.teacher.backbone.layer4[1].bn2.weight.detach().numpy()
    np.testing.assert_array_equal(np.load(out / 'train' / 'preact_bn_weight.npy'), bn)
    np.testing.assert_allclose(np.load(out / 'train' / 'feat.npy').astype(np.float32),
                               live_rows(distiller, config, 'feat'), rtol=2 ** -10, atol=1e-6)
    val = json.loads((out / 'val' / 'manifest.json').read_text())
    assert val['split'] == 'val' and val['dataset']['length'] == 6  # CREMA-D: val = test


def test_an_existing_cache_is_replaced_only_with_overwrite(data_root, tmp_path):
    config, _ = tiny_config_file(KD, data_root, tmp_path)
    tool, args = load_tool(), [str(config), '--out', str(tmp_path / 'c'), '--num-workers', '0']
    tool.main(args)
    with pytest.raises(FileExistsError, match='--overwrite'):
        tool.main(args)
    tool.main(args + ['--overwrite'])
    assert sorted(os.listdir(tmp_path / 'c')) == ['train']


def test_a_random_teacher_input_is_refused_naming_the_transforms(data_root, tmp_path):
    config, _ = tiny_config_file(KD_VISUAL_TEACHER, data_root, tmp_path)
    with pytest.raises(RandomTeacherTransformError,
                       match=r"teacher input 'visual' passes fdkd_mm.SampleFrames with "
                             r"random=True; fdkd_mm.FramesRandomResizedCrop .*; "
                             r"fdkd_mm.FramesRandomFlip"):
        load_tool().main([str(config), '--out', str(tmp_path / 'c'), '--num-workers', '0'])
    assert not (tmp_path / 'c').exists()


@pytest.mark.parametrize('model, error, match', [
    (dict(teacher_trainable=True), ValueError, 'trainable teacher'),
    (dict(teacher_ckpt=None), FileNotFoundError, 'outputs of a trained teacher'),
])
def test_teachers_without_fixed_outputs_are_refused(data_root, tmp_path, model, error, match):
    config, _ = tiny_config_file(KD, data_root, tmp_path, **model)
    with pytest.raises(error, match=match):
        load_tool().main([str(config), '--out', str(tmp_path / 'c')])



def test_a_bad_sample_replaced_by_the_dataset_gets_no_row(tmp_path):
    from fdkd_mm.testing import write_synthetic_cremad
    rows = write_synthetic_cremad(str(tmp_path / 'cremad'), clips_per_class=(1, 1))
    config, distiller = tiny_config_file(KD, str(tmp_path / 'cremad'), tmp_path)
    wav = tmp_path / 'cremad' / 'AudioWAV' / f'{rows["train"][1][0]}.wav'
    good = wav.read_bytes()
    wav.write_bytes(b'')  # unreadable: the dataset gives sample 2 in its place
    load_tool().main([str(config), '--out', str(tmp_path / 'cache'), '--num-workers', '0',
                      '--cfg-options', 'train_dataloader.dataset.skip_bad_samples=True'])
    wav.write_bytes(good)
    written = np.load(tmp_path / 'cache' / 'train' / 'written.npy')
    assert written.tolist() == [True, False, True, True, True, True]
    stored = np.load(tmp_path / 'cache' / 'train' / 'logits.npy')
    np.testing.assert_array_equal(stored[written], live_rows(distiller, config, 'logits')[written])
