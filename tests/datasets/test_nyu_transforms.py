"""LoadDepthFromFile and PackMultiModalSegInputs on hand-made arrays and files."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample

from fdkd_mm.datasets.transforms import LoadDepthFromFile, PackMultiModalSegInputs
from fdkd_mm.registry import TRANSFORMS


def write_depth(path: Path, array: np.ndarray) -> str:
    assert cv2.imwrite(str(path), array)
    return str(path)


def test_depth_is_read_as_clipped_metres_and_joins_seg_fields(tmp_path):
    raw = np.array([[0, 1, 999], [1500, 9999, 12000]], np.uint16)
    results = dict(depth_path=write_depth(tmp_path / 'd.png', raw), seg_fields=['gt_seg_map'])
    out = LoadDepthFromFile()(results)
    assert out['depth'].dtype == np.float32 and out['depth'].shape == (2, 3)
    np.testing.assert_allclose(out['depth'], [[0.0, 0.001, 0.999], [1.5, 9.999, 10.0]],
                               rtol=1e-6)
    assert out['seg_fields'] == ['gt_seg_map', 'depth']
    LoadDepthFromFile()(out)  # loading again must not list the field twice
    assert out['seg_fields'] == ['gt_seg_map', 'depth']


def test_depth_scale_and_max_depth_are_honoured(tmp_path):
    raw = np.array([[100, 4000]], np.uint16)
    out = LoadDepthFromFile(depth_scale=100.0, max_depth=30.0, key='hha')(
        dict(depth_path=write_depth(tmp_path / 'd.png', raw)))
    np.testing.assert_allclose(out['hha'], [[1.0, 30.0]])
    assert out['seg_fields'] == ['hha']


@pytest.mark.parametrize('array', [np.zeros((4, 5), np.uint8),
                                   np.zeros((4, 5, 3), np.uint16)],
                         ids=['uint8', 'three-channel'])
def test_depth_that_is_not_single_channel_uint16_is_rejected(tmp_path, array):
    path = write_depth(tmp_path / 'bad.png', array)
    with pytest.raises(ValueError, match=f'{path}.*single-channel uint16'):
        LoadDepthFromFile()(dict(depth_path=path))


def make_results(height=4, width=6):
    rng = np.random.default_rng(0)
    return dict(
        img=rng.integers(0, 256, (height, width, 3), dtype=np.uint8),
        depth=rng.uniform(0.5, 9.0, (height, width)).astype(np.float32),
        gt_seg_map=rng.integers(0, 40, (height, width)).astype(np.uint8),
        img_path='a/rgb/1.png', depth_path='a/depth/1.png', seg_map_path='a/labels_40/1.png',
        ori_shape=(height, width), img_shape=(height, width), scale_factor=(1.0, 1.0),
        flip=False, flip_direction=None, reduce_zero_label=True, seg_fields=[])


def test_pack_gives_a_dict_of_aligned_modalities_and_mmseg_metainfo():
    results = make_results()
    packed = PackMultiModalSegInputs()(dict(results))
    rgb, depth = packed['inputs']['rgb'], packed['inputs']['depth']
    assert rgb.dtype == torch.uint8 and rgb.shape == (3, 4, 6)
    assert torch.equal(rgb, torch.from_numpy(results['img']).permute(2, 0, 1))  # BGR kept
    assert depth.dtype == torch.float32 and depth.shape == (3, 4, 6)
    for channel in range(3):
        assert torch.equal(depth[channel], torch.from_numpy(results['depth']))
    sample = packed['data_samples']
    assert isinstance(sample, SegDataSample)
    assert torch.equal(sample.gt_sem_seg.data[0],
                       torch.from_numpy(results['gt_seg_map']).long())
    for key in ('img_path', 'seg_map_path', 'depth_path', 'ori_shape', 'img_shape',
                'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label'):
        assert sample.metainfo[key] == results[key], key


def test_plain_depth_inputs_for_a_unimodal_segmentor():
    results = make_results()
    packed = PackMultiModalSegInputs(modalities=dict(depth='depth'), plain_inputs=True)(
        dict(results))
    assert isinstance(packed['inputs'], torch.Tensor)
    assert packed['inputs'].shape == (3, 4, 6)
    assert torch.equal(packed['inputs'][2], torch.from_numpy(results['depth']))
    single = PackMultiModalSegInputs(modalities=dict(depth='depth'), depth_channels=1,
                                     plain_inputs=True)(dict(results))
    assert single['inputs'].shape == (1, 4, 6)


def test_plain_inputs_needs_exactly_one_modality():
    with pytest.raises(ValueError, match='single modality'):
        PackMultiModalSegInputs(plain_inputs=True)


def test_pack_refuses_modalities_of_different_sizes():
    results = make_results()
    results['depth'] = results['depth'][:, :5]
    with pytest.raises(ValueError, match="differ in size.*mmseg.Resize"):
        PackMultiModalSegInputs()(results)


def test_pack_names_a_missing_modality():
    results = make_results()
    del results['depth']
    with pytest.raises(KeyError, match='depth'):
        PackMultiModalSegInputs()(results)


def test_mmcv_resize_skips_depth_and_packing_catches_it():
    """Why configs say resize_type='mmseg.Resize': mmcv's Resize only resizes gt_seg_map."""
    init_default_scope('fdkd_mm')
    results = make_results(8, 12)
    results['seg_fields'] = ['depth']
    pipeline = Compose([TRANSFORMS.build(t) for t in (
        dict(type='mmseg.RandomResize', scale=(24, 16), ratio_range=(1.0, 1.0), keep_ratio=True),
        dict(type='PackMultiModalSegInputs'))])
    with pytest.raises(ValueError, match='differ in size'):
        pipeline(results)
    fixed = Compose([TRANSFORMS.build(t) for t in (
        dict(type='mmseg.RandomResize', scale=(24, 16), ratio_range=(1.0, 1.0), keep_ratio=True,
             resize_type='mmseg.Resize'),
        dict(type='PackMultiModalSegInputs'))])
    packed = fixed(make_results(8, 12) | dict(seg_fields=['depth']))
    assert packed['inputs']['depth'].shape == (3, 16, 24)


def test_photometric_distortion_changes_rgb_only():
    init_default_scope('fdkd_mm')
    distort = TRANSFORMS.build(dict(type='mmseg.PhotoMetricDistortion'))
    np.random.seed(3)
    results = make_results(16, 16)
    before = {key: results[key].copy() for key in ('img', 'depth', 'gt_seg_map')}
    changed_img = False
    for _ in range(5):
        results = distort(results)
        changed_img |= not np.array_equal(results['img'], before['img'])
        np.testing.assert_array_equal(results['depth'], before['depth'])
        np.testing.assert_array_equal(results['gt_seg_map'], before['gt_seg_map'])
    assert changed_img
