"""--pipeline-options: one name, the same transform argument, in every kind of config."""
from pathlib import Path

import pytest
from mmengine.config import Config

from fdkd_mm.config.pipeline_options import (KNOBS, apply_pipeline_options,
                                             parse_pipeline_options)
from fdkd_mm.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
UNI_AUDIO = 'configs/uni/uni_r18-audio_cremad.py'
UNI_VISUAL = 'configs/uni/uni_r18-visual_cremad.py'
DISTILLER = 'configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py'
BANK = 'configs/unpaired/ufd_r18-audio_r18-visual_cremad.py'  # teacher bank, wrapped datasets
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'teacher_dataloader')


def load(config: str) -> Config:
    return Config.fromfile(str(REPO / config))


def loader_transforms(cfg, short_type: str) -> list[dict]:
    """Every transform of that type in the loaders' pipelines, found by hand below wrappers."""
    found = []
    for key in LOADERS:
        if cfg.get(key) is None:
            continue
        dataset = cfg[key].dataset
        while 'pipeline' not in dataset:
            dataset = dataset.dataset
        found += [t for t in dataset.pipeline if t.type.rsplit('.', 1)[-1] == short_type]
    return found


@pytest.mark.parametrize('config, spectrograms, crops, resizes', [
    # (LogSpectrogram, FramesRandomResizedCrop, FramesResize) per config, counted by hand over
    # the train / val / test loaders (+ the teacher bank's loader).
    (UNI_AUDIO, 3, 0, 0),
    (UNI_VISUAL, 0, 1, 2),
    (DISTILLER, 3, 1, 2),
    (BANK, 1, 1, 2),  # audio only in the bank's part-A teacher_dataloader
])
def test_the_same_names_reach_the_same_transforms_in_every_config_kind(
        config, spectrograms, crops, resizes):
    cfg = load(config)
    changed = apply_pipeline_options(cfg, ['audio_duration=1.5', 'frame_size=48'])
    found = {name: loader_transforms(cfg, name)
             for name in ('LogSpectrogram', 'FramesRandomResizedCrop', 'FramesResize')}
    assert [len(v) for v in found.values()] == [spectrograms, crops, resizes]
    assert all(t.duration == 1.5 for t in found['LogSpectrogram'])
    assert all(t.scale == 48 for t in found['FramesRandomResizedCrop'] + found['FramesResize'])
    # Every changed place names a pipeline entry now holding the value.
    for name, value in (('audio_duration', 1.5), ('frame_size', 48)):
        for place in changed[name]:
            pipeline_key, index, argument = place.rsplit('.', 2)
            assert pipeline_key.endswith('pipeline')
            pipeline = cfg
            for part in pipeline_key.split('.'):
                pipeline = pipeline[int(part)] if part.isdigit() else pipeline[part]
            assert pipeline[int(index)][argument] == value
    assert bool(changed['audio_duration']) == bool(spectrograms)
    assert bool(changed['frame_size']) == bool(crops + resizes)
    # Nothing else moved: the wav loader's rate is the config's own.
    assert all(t.sample_rate == 22050 for t in loader_transforms(cfg, 'LoadWaveform'))


def test_list_positions_differ_between_the_configs_but_the_name_does_not():
    """The friction the names remove: the frame crop sits at another index in each config."""
    positions = set()
    for config in (UNI_VISUAL, DISTILLER):
        pipeline = load(config).train_dataloader.dataset.pipeline
        positions.add(next(i for i, t in enumerate(pipeline)
                           if t.type.endswith('FramesRandomResizedCrop')))
    assert len(positions) == 2


def test_nyu_crop_sets_crop_resize_base_and_the_segmentors_padding():
    cfg = load('configs/fdkd/nyu_depth_to_rgb.py')
    apply_pipeline_options(cfg, ['crop=64,80'])
    (crop,) = loader_transforms(cfg, 'RandomCrop')
    (resize,) = loader_transforms(cfg, 'RandomResize')
    assert tuple(crop.crop_size) == (64, 80)
    assert tuple(resize.scale) == (80, 64)  # mmcv's scale is (w, h)
    # mmseg pads every training batch to its preprocessor's size: it follows the crop.
    for network in (cfg.model.student, cfg.model.teacher):
        assert tuple(network.data_preprocessor.size) == (64, 80)


def test_crisismmd_image_size_keeps_the_imagenet_resize_ratio():
    cfg = load('configs/uni/uni_mbv2-image_crisismmd.py')
    apply_pipeline_options(cfg, {'image_size': 64, 'text_length': 16})
    assert [t.scale for t in loader_transforms(cfg, 'RandomResizedCrop')] == [64]
    assert {t.crop_size for t in loader_transforms(cfg, 'CenterCrop')} == {64}
    assert {t.scale for t in loader_transforms(cfg, 'ResizeEdge')} == {73}  # 64 * 256 / 224


def test_unknown_names_and_bad_values_are_refused_naming_them():
    with pytest.raises(ConfigError, match="unknown name 'frame_sise'; known: .*frame_size"):
        parse_pipeline_options(['frame_sise=32'])
    with pytest.raises(ConfigError, match='frame_size=big'):
        parse_pipeline_options(['frame_size=big'])
    with pytest.raises(ConfigError, match='must be positive'):
        parse_pipeline_options(['audio_duration=-1'])
    with pytest.raises(ConfigError, match='write name=value'):
        parse_pipeline_options(['frame_size'])
    assert parse_pipeline_options(['crop=(64, 80)']) == {'crop': (64, 80)}
    assert set(KNOBS) >= {'audio_duration', 'frame_size', 'crop', 'num_frames', 'image_size'}
