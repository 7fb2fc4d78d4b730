"""write_synthetic_nyu: real layout and dtypes, determinism, classes visible in each modality."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from fdkd_mm.testing import write_synthetic_nyu


def read_split(root: Path, split: str) -> tuple:
    ids = (root / f'{split}.txt').read_text().split()
    rgb, depth, label = (np.stack([cv2.imread(str(root / split / sub / f'{i}.png'),
                                              cv2.IMREAD_UNCHANGED) for i in ids])
                         for sub in ('rgb', 'depth', 'labels_40'))
    return ids, rgb, depth, label


def test_layout_and_file_formats(tmp_path):
    root = write_synthetic_nyu(tmp_path / 's', num_train=4, num_test=2, height=24, width=32,
                               num_classes=5, seed=0)
    assert root == tmp_path / 's'
    train_ids, rgb, depth, label = read_split(root, 'train')
    test_ids = read_split(root, 'test')[0]
    assert train_ids == ['0001', '0002', '0003', '0004'] and test_ids == ['0005', '0006']
    assert rgb.dtype == np.uint8 and rgb.shape == (4, 24, 32, 3)
    assert depth.dtype == np.uint16 and depth.shape == (4, 24, 32)
    assert label.dtype == np.uint8 and label.shape == (4, 24, 32)
    assert set(np.unique(label)) <= set(range(6))
    assert all((frame == 0).any() for frame in label)  # every frame has void pixels
    assert 1000 <= depth.min() and depth.max() <= 6000  # millimetres of an indoor scene


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    kwargs = dict(num_train=2, num_test=1, height=20, width=24, num_classes=4)
    first = read_split(write_synthetic_nyu(tmp_path / 'a', seed=3, **kwargs), 'train')
    again = read_split(write_synthetic_nyu(tmp_path / 'b', seed=3, **kwargs), 'train')
    other = read_split(write_synthetic_nyu(tmp_path / 'c', seed=4, **kwargs), 'train')
    for a, b in zip(first[1:], again[1:]):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[3], other[3])


def centroid_miou(train_x, train_y, test_x, test_y, num_classes):
    """mIoU of a per-pixel nearest-class-mean classifier (void pixels left out)."""
    classes = np.arange(1, num_classes + 1)
    means = np.stack([train_x[train_y == c].mean(0) for c in classes])
    distance = ((test_x[:, None, :] - means[None]) ** 2).sum(-1)
    pred = classes[distance.argmin(1)]
    ious = [((pred == c) & (test_y == c)).sum() / ((pred == c) | (test_y == c)).sum()
            for c in classes]
    return float(np.mean(ious))


@pytest.mark.parametrize('modality', ['rgb', 'depth'])
def test_classes_are_recognisable_from_either_modality_alone(tmp_path, modality):
    num_classes = 6
    root = write_synthetic_nyu(tmp_path / 's', num_train=12, num_test=6, height=32, width=40,
                               num_classes=num_classes, seed=0)
    data = {}
    for split in ('train', 'test'):
        _, rgb, depth, label = read_split(root, split)
        features = rgb.astype(np.float64) if modality == 'rgb' else depth[..., None] / 1000.0
        keep = label > 0
        data[split] = features[keep], label[keep]
    assert set(np.unique(data['train'][1])) == set(range(1, num_classes + 1))
    miou = centroid_miou(*data['train'], *data['test'], num_classes)
    assert miou > 0.8, f'{modality} alone separates the classes poorly: mIoU {miou:.3f}'


@pytest.mark.parametrize('kwargs', [dict(num_classes=0), dict(num_classes=41),
                                    dict(num_train=0), dict(height=8)])
def test_bad_arguments_are_rejected(tmp_path, kwargs):
    with pytest.raises(ValueError):
        write_synthetic_nyu(tmp_path / 's', **kwargs)
