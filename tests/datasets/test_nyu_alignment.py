"""RGB, depth and label stay pixel-aligned through mmseg's own geometric transforms.

The test frame is a grid of 8x8-pixel cells; cell ``k`` is encoded in all three files (blue
channel = k, depth = 500 + 20k mm, label = k mod 41 with 0 = void), so each packed pixel can be
decoded back to a cell from every modality independently and any shift between them shows up.

With the image resized by nearest neighbour, as the seg fields are, all three must agree at
every pixel, which catches a one-pixel shift. With mmseg's default bilinear image resize (the
real configuration) RGB can only be compared where the bilinear footprint stays inside one
cell, which tolerates the sub-pixel offset mmseg's nearest-vs-bilinear resampling has anyway.
"""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from fdkd_mm.registry import DATASETS

HEIGHT, WIDTH, CELL = 96, 128, 8
COLS = WIDTH // CELL

CROP = (72, 88)


def train_pipeline(pack: dict) -> list:
    """The recommended training pipeline (at test-frame scale), ending with ``pack``."""
    return [
        dict(type='LoadImageFromFile'),
        dict(type='fdkd_mm.LoadDepthFromFile', depth_scale=1000.0, max_depth=10.0),
        dict(type='mmseg.LoadAnnotations'),
        dict(type='mmseg.RandomResize', scale=(WIDTH, HEIGHT), ratio_range=(0.5, 2.0),
             keep_ratio=True, resize_type='mmseg.Resize'),
        dict(type='mmseg.RandomCrop', crop_size=CROP, cat_max_ratio=0.75),
        dict(type='mmseg.RandomFlip', prob=0.5),
        pack,
    ]


RGBD_PACK = dict(type='fdkd_mm.PackMultiModalSegInputs',
                 modalities=dict(rgb='img', depth='depth'), depth_channels=3)
DEPTH_ONLY_PACK = dict(type='fdkd_mm.PackMultiModalSegInputs', modalities=dict(depth='depth'),
                       depth_channels=3, plain_inputs=True)


def expected_label(cell: np.ndarray) -> np.ndarray:
    raw = cell % 41
    return np.where(raw == 0, 255, raw - 1)


@pytest.fixture(scope='module')
def grid_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('grid')
    rows, cols = np.mgrid[:HEIGHT, :WIDTH]
    cell = (rows // CELL) * COLS + cols // CELL
    bgr = np.stack([cell, np.full_like(cell, 200), np.full_like(cell, 60)], -1).astype(np.uint8)
    for sub in ('rgb', 'depth', 'labels_40'):
        (root / 'train' / sub).mkdir(parents=True)
    cv2.imwrite(str(root / 'train' / 'rgb' / 'g.png'), bgr)
    cv2.imwrite(str(root / 'train' / 'depth' / 'g.png'), (500 + 20 * cell).astype(np.uint16))
    cv2.imwrite(str(root / 'train' / 'labels_40' / 'g.png'), (cell % 41).astype(np.uint8))
    (root / 'train.txt').write_text('g\n')
    return root


def decode(packed: dict) -> tuple:
    """Cell index per pixel from RGB and from depth, and the label map."""
    rgb_cell = packed['inputs']['rgb'][0].numpy().astype(np.int64)  # blue channel (BGR)
    depth_mm = packed['inputs']['depth'].numpy() * 1000
    depth_cell = np.rint((depth_mm - 500) / 20).astype(np.int64)
    for channel in depth_cell[1:]:  # replicated channels are identical
        np.testing.assert_array_equal(channel, depth_cell[0])
    label = packed['data_samples'].gt_sem_seg.data[0].numpy()
    return rgb_cell, depth_cell[0], label


def interior(cell: np.ndarray, radius: int) -> np.ndarray:
    """Pixels whose (2r+1)^2 neighbourhood lies in one cell of the nearest-resized map.

    cv2's bilinear resize reads two source pixels around (x + 0.5) / s - 0.5, its nearest
    resize one at floor(x / s); the neighbourhood covers both readings when
    radius >= 0.5 + 0.5 * s, so there a bilinear RGB value is exactly its cell's value.
    """
    # Pixels near the edge are left out: their footprint may reach rows cropped away.
    padded = np.pad(cell, radius, constant_values=-1)
    size = 2 * radius + 1
    same = np.ones(cell.shape, bool)
    for dy in range(size):
        for dx in range(size):
            same &= padded[dy:dy + cell.shape[0], dx:dx + cell.shape[1]] == cell
    return same


@pytest.mark.parametrize('interpolation', ['bilinear', 'nearest'])
def test_rgb_depth_label_stay_aligned_across_random_geometry(grid_root, interpolation):
    init_default_scope('fdkd_mm')
    pipeline = train_pipeline(RGBD_PACK)
    pipeline[3]['interpolation'] = interpolation  # of the image; seg fields are always nearest
    dataset = DATASETS.build(dict(type='NYUDepthV2Dataset', data_root=str(grid_root),
                                  pipeline=pipeline))
    flips, scales = [], []
    for seed in range(10):
        np.random.seed(seed)
        packed = dataset[0]
        rgb_cell, depth_cell, label = decode(packed)
        meta = packed['data_samples'].metainfo
        flips.append(meta['flip'])
        scales.append(meta['scale_factor'][0])
        assert rgb_cell.shape == depth_cell.shape == label.shape == tuple(meta['img_shape'])

        # Depth and label are both resized with nearest: identical everywhere.
        np.testing.assert_array_equal(label, expected_label(depth_cell))
        if interpolation == 'nearest':  # same sampling as depth: identical everywhere
            np.testing.assert_array_equal(rgb_cell, depth_cell)
        else:  # bilinear: exact wherever its footprint stays inside one cell
            inner = interior(depth_cell, radius=1 if max(meta['scale_factor']) <= 1 else 2)
            assert inner.mean() > 0.15, f'seed {seed}: too few interior pixels to compare'
            np.testing.assert_array_equal(rgb_cell[inner], depth_cell[inner])

        # The geometry really was applied: a flip reverses the column order of the cells.
        col_order = np.diff(depth_cell % COLS, axis=1)
        if meta['flip']:
            assert (col_order <= 0).all() and (col_order < 0).any()
        else:
            assert (col_order >= 0).all() and (col_order > 0).any()
    assert any(flips) and not all(flips)
    assert min(scales) < 0.9 and max(scales) > 1.5  # both down- and up-scaled frames


def test_test_pipeline_resizes_depth_with_the_image_but_not_the_label(grid_root):
    init_default_scope('fdkd_mm')
    test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='fdkd_mm.LoadDepthFromFile'),
        dict(type='mmseg.Resize', scale=(2 * WIDTH, 2 * HEIGHT), keep_ratio=True),
        dict(type='mmseg.LoadAnnotations'),
        RGBD_PACK,
    ]
    dataset = DATASETS.build(dict(type='NYUDepthV2Dataset', data_root=str(grid_root),
                                  pipeline=test_pipeline, test_mode=True))
    packed = dataset[0]
    rgb_cell, depth_cell, label = decode(packed)
    assert depth_cell.shape == rgb_cell.shape == (2 * HEIGHT, 2 * WIDTH)
    assert label.shape == (HEIGHT, WIDTH)  # evaluated at the original resolution
    np.testing.assert_array_equal(expected_label(depth_cell[::2, ::2]), label)
    assert packed['data_samples'].metainfo['ori_shape'] == (HEIGHT, WIDTH)


def test_depth_only_pipeline_feeds_a_plain_segmentor_preprocessor(grid_root):
    """Unimodal depth teacher: bare depth tensors, batched by mmseg's own preprocessor."""
    from mmengine.dataset import pseudo_collate
    from mmseg.models import SegDataPreProcessor

    init_default_scope('fdkd_mm')
    dataset = DATASETS.build(dict(type='NYUDepthV2Dataset', data_root=str(grid_root),
                                  pipeline=train_pipeline(DEPTH_ONLY_PACK)))
    np.random.seed(0)
    samples = [dataset[0], dataset[0]]
    for sample in samples:
        depth = sample['inputs']
        assert depth.dtype == torch.float32 and depth.shape[0] == 3
        depth_cell = np.rint((depth[0].numpy() * 1000 - 500) / 20).astype(np.int64)
        label = sample['data_samples'].gt_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(label, expected_label(depth_cell))
    mean, std = 3.0, 1.5
    preprocessor = SegDataPreProcessor(mean=[mean] * 3, std=[std] * 3, size=CROP,
                                       pad_val=0, seg_pad_val=255)
    batch = preprocessor(pseudo_collate(samples), training=True)
    height, width = samples[0]['inputs'].shape[1:]
    assert batch['inputs'].shape == (2, 3, *CROP)
    torch.testing.assert_close(batch['inputs'][0, :, :height, :width],
                               (samples[0]['inputs'] - mean) / std)
