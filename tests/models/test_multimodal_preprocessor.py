"""MultiModalDataPreprocessor: per-modality normalisation, labels handled once, alignment."""
import pytest
import torch
from mmengine.structures import PixelData

from fdkd_mm.models.data_preprocessors import MultiModalDataPreprocessor


def rgbd_preprocessor(size=(32, 32), depth_size=(32, 32)):
    return MultiModalDataPreprocessor(
        dict(rgb=dict(type='mmseg.SegDataPreProcessor', mean=[100.0, 110.0, 120.0],
                      std=[10.0, 20.0, 30.0], bgr_to_rgb=True, size=size),
             depth=dict(type='mmseg.SegDataPreProcessor', mean=[2.0], std=[0.5],
                        size=depth_size)),
        label_modality='rgb', aligned=('rgb', 'depth'))


def test_each_modality_gets_its_own_normalisation_and_labels_are_padded_once(batch_factory):
    batch = batch_factory('seg')
    batch['inputs']['rgb'] = [x[:, :, :30] for x in batch['inputs']['rgb']]
    batch['inputs']['depth'] = [x[:, :, :30] for x in batch['inputs']['depth']]
    for sample in batch['data_samples']:
        sample.gt_sem_seg = PixelData(data=sample.gt_sem_seg.data[:, :, :30])
    raw_rgb, raw_depth = batch['inputs']['rgb'][0].clone(), batch['inputs']['depth'][0].clone()
    out = rgbd_preprocessor()(batch, training=True)
    rgb, depth = out['inputs']['rgb'], out['inputs']['depth']
    assert rgb.shape == (2, 3, 32, 32) and depth.shape == (2, 1, 32, 32)
    # BGR -> RGB, then (x - mean) / std per channel; padding with 0 after normalisation.
    expected_r = (raw_rgb[2].float() - 100.0) / 10.0
    torch.testing.assert_close(rgb[0, 0, :, :30], expected_r)
    torch.testing.assert_close(depth[0, 0, :, :30], (raw_depth[0] - 2.0) / 0.5)
    assert torch.all(depth[:, :, :, 30:] == 0)
    label = out['data_samples'][0].gt_sem_seg.data
    assert label.shape == (1, 32, 32) and torch.all(label[:, :, 30:] == 255)


def test_missing_modality_and_non_dict_inputs_are_named(batch_factory):
    batch = batch_factory('seg')
    del batch['inputs']['depth']
    with pytest.raises(KeyError, match=r"\['depth'\].*\['rgb'\]"):
        rgbd_preprocessor()(batch, training=True)
    with pytest.raises(TypeError, match='dict of modalities'):
        rgbd_preprocessor()(dict(inputs=[torch.zeros(3, 4, 4)], data_samples=None))


def test_misaligned_sizes_are_rejected(batch_factory):
    with pytest.raises(ValueError, match='different sizes'):
        rgbd_preprocessor(depth_size=(48, 48))(batch_factory('seg'), training=True)


def test_unknown_label_modality_is_rejected():
    with pytest.raises(ValueError, match="'audio' has no preprocessor"):
        MultiModalDataPreprocessor(dict(rgb=dict(type='mmseg.SegDataPreProcessor')),
                                   label_modality='audio')
