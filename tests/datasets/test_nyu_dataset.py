"""NYUDepthV2Dataset: paths, labels (void -> 255, 1..40 -> 0..39), metainfo and bad inputs."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from fdkd_mm.datasets import NYUDepthV2Dataset
from fdkd_mm.testing import write_synthetic_nyu
from fdkd_mm.registry import DATASETS

LOAD_ALL = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthFromFile'),
    dict(type='mmseg.LoadAnnotations'),
]


@pytest.fixture
def nyu_root(tmp_path: Path) -> Path:
    return write_synthetic_nyu(tmp_path / 'nyu', num_train=3, num_test=2, height=32, width=40,
                               num_classes=5, seed=1)


def build(root, split='train', **kwargs):
    init_default_scope('fdkd_mm')  # as a config with default_scope='fdkd_mm' would
    return DATASETS.build(dict(type='NYUDepthV2Dataset', data_root=str(root), split=split,
                               **kwargs))


def test_data_infos_list_the_split_in_order(nyu_root):
    train, test = build(nyu_root), build(nyu_root, split='test')
    assert len(train) == 3 and len(test) == 2
    info = test.get_data_info(1)
    assert info['sample_id'] == '0005'  # test ids continue after the 3 training ids
    assert info['img_path'] == str(nyu_root / 'test' / 'rgb' / '0005.png')
    assert info['depth_path'] == str(nyu_root / 'test' / 'depth' / '0005.png')
    assert info['seg_map_path'] == str(nyu_root / 'test' / 'labels_40' / '0005.png')
    assert [train.get_data_info(i)['sample_id'] for i in range(3)] == ['0001', '0002', '0003']


def test_metainfo_declares_the_40_nyu_classes(nyu_root):
    meta = build(nyu_root).metainfo
    assert len(meta['classes']) == 40 and len(meta['palette']) == 40
    assert meta['classes'][:3] == ('wall', 'floor', 'cabinet')
    assert meta['classes'][-1] == 'otherprop'
    assert meta['reduce_zero_label'] is True
    assert len({tuple(color) for color in meta['palette']}) == 40


def test_sample_loads_depth_in_metres_and_shifted_labels(nyu_root):
    sample = build(nyu_root, pipeline=LOAD_ALL)[0]
    raw_depth = cv2.imread(str(nyu_root / 'train' / 'depth' / '0001.png'), cv2.IMREAD_UNCHANGED)
    raw_label = cv2.imread(str(nyu_root / 'train' / 'labels_40' / '0001.png'),
                           cv2.IMREAD_UNCHANGED)
    assert sample['img'].shape == (32, 40, 3)
    assert sample['depth'].dtype == np.float32
    np.testing.assert_allclose(sample['depth'], raw_depth / 1000.0, rtol=1e-6)
    expected = np.where(raw_label == 0, 255, raw_label.astype(np.int64) - 1)
    np.testing.assert_array_equal(sample['gt_seg_map'], expected)
    assert sample['seg_fields'] == ['depth', 'gt_seg_map']


def test_void_becomes_255_and_classes_shift_to_0_39(nyu_root):
    label = np.array([[0, 1, 2, 40], [17, 0, 39, 5]], np.uint8)
    label = np.tile(label, (16, 10))  # the 32 x 40 frame size
    cv2.imwrite(str(nyu_root / 'train' / 'labels_40' / '0002.png'), label)
    gt = build(nyu_root, pipeline=LOAD_ALL)[1]['gt_seg_map']
    np.testing.assert_array_equal(gt[:2, :4], [[255, 0, 1, 39], [16, 255, 38, 4]])


def test_missing_root_says_how_to_make_it(tmp_path):
    root = tmp_path / 'absent'
    with pytest.raises(FileNotFoundError) as info:
        build(root)
    message = str(info.value)
    assert str(root) in message
    assert 'tools/dataset_converters/nyu_depth_v2.py' in message
    assert 'tools/demo.py' in message


def test_missing_split_file_is_named(nyu_root):
    (nyu_root / 'test.txt').unlink()
    with pytest.raises(FileNotFoundError, match=str(nyu_root / 'test.txt')):
        build(nyu_root, split='test')


def test_empty_split_file_is_named(nyu_root):
    (nyu_root / 'train.txt').write_text('\n\n')
    with pytest.raises(ValueError, match=f'{nyu_root / "train.txt"}.*no sample'):
        build(nyu_root)


@pytest.mark.parametrize('sub', ['rgb', 'depth', 'labels_40'])
def test_missing_listed_file_is_named(nyu_root, sub):
    missing = nyu_root / 'train' / sub / '0002.png'
    missing.unlink()
    with pytest.raises(FileNotFoundError, match=str(missing)):
        build(nyu_root)


def test_depth_png_of_wrong_dtype_is_named(nyu_root):
    bad = nyu_root / 'train' / 'depth' / '0003.png'
    cv2.imwrite(str(bad), np.full((32, 40), 7, np.uint8))  # an 8-bit PNG
    dataset = build(nyu_root, pipeline=LOAD_ALL)
    with pytest.raises(ValueError, match=f'{bad}.*uint16'):
        dataset[2]


def test_direct_construction_matches_registry_build(nyu_root):
    dataset = NYUDepthV2Dataset(data_root=str(nyu_root), split='test')
    assert dataset.get_data_info(0)['img_path'] == str(nyu_root / 'test' / 'rgb' / '0004.png')
