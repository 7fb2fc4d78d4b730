"""tools/dataset_converters/nyu_depth_v2.py on tiny files in the official formats.

``nyu_depth_v2_labeled.mat`` is MATLAB v7.3 (HDF5): MATLAB's ``images(r, c, ch, n)`` of an
(H, W, 3, N) array is stored column-major, which h5py shows as ``images[n, ch, c, r]`` of an
(N, 3, W, H) dataset. The fixture writes every element through that index relation, one
element at a time, so the expected (row, col) of each value is independent of the
converter's transposes.
"""
import importlib.util
from pathlib import Path

import cv2
import h5py
import numpy as np
import pytest
import scipy.io

REPO = Path(__file__).resolve().parents[2]
N, H, W = 3, 6, 8  # the real set is 1449 frames of 480 x 640


def load_converter():
    spec = importlib.util.spec_from_file_location(
        'nyu_converter', REPO / 'tools' / 'dataset_converters' / 'nyu_depth_v2.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


converter = load_converter()


@pytest.fixture
def official(tmp_path):
    """Tiny copies of the three official files and the arrays they hold, in (H, W) order."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (N, H, W, 3), dtype=np.uint8)
    depth = rng.uniform(0.4, 12.0, (N, H, W))  # some beyond the 10 m clip of the loader
    raw_label = rng.integers(0, 895, (N, H, W)).astype(np.uint16)
    raw_label[0, 0, 0], raw_label[0, 0, 1] = 0, 894  # both ends of the 894 classes
    map_class = rng.integers(1, 41, 894).astype(np.float64)

    images = np.zeros((N, 3, W, H), np.uint8)
    depths = np.zeros((N, W, H), np.float32)
    labels = np.zeros((N, W, H), np.uint16)
    for n in range(N):
        for r in range(H):
            for c in range(W):
                for ch in range(3):
                    images[n, ch, c, r] = rgb[n, r, c, ch]
                depths[n, c, r] = depth[n, r, c]
                labels[n, c, r] = raw_label[n, r, c]
    labeled = tmp_path / 'nyu_depth_v2_labeled.mat'
    with h5py.File(labeled, 'w', userblock_size=512) as f:  # MATLAB's 512-byte header room
        f['images'], f['depths'], f['labels'] = images, depths, labels
    splits = tmp_path / 'splits.mat'
    scipy.io.savemat(splits, dict(trainNdxs=np.array([[1.0], [3.0]]),
                                  testNdxs=np.array([[2.0]])))
    mapping = tmp_path / 'classMapping40.mat'
    scipy.io.savemat(mapping, dict(mapClass=map_class[None, :],
                                   className=np.array([f'c{i}' for i in range(1, 41)],
                                                      dtype=object)[None, :]))
    expected_label = np.where(raw_label == 0, 0, map_class[np.maximum(raw_label, 1) - 1])
    return dict(paths=(labeled, splits, mapping), rgb=rgb, depth=depth,
                label=expected_label.astype(np.uint8), out=tmp_path / 'out')


def read(path: Path) -> np.ndarray:
    array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert array is not None, path
    return array


def test_frames_land_at_the_right_pixels(official):
    out = official['out']
    assert converter.main([*map(str, official['paths']), str(out), '--no-progress']) == 0
    assert (out / 'train.txt').read_text() == '0001\n0003\n'
    assert (out / 'test.txt').read_text() == '0002\n'
    for split, frame in (('train', 0), ('test', 1), ('train', 2)):
        sample_id = f'{frame + 1:04d}'
        bgr = read(out / split / 'rgb' / f'{sample_id}.png')
        depth = read(out / split / 'depth' / f'{sample_id}.png')
        label = read(out / split / 'labels_40' / f'{sample_id}.png')
        assert bgr.shape == (H, W, 3) and depth.shape == label.shape == (H, W)
        assert depth.dtype == np.uint16 and label.dtype == np.uint8
        np.testing.assert_array_equal(bgr[..., ::-1], official['rgb'][frame])
        np.testing.assert_array_equal(depth, np.rint(official['depth'][frame] * 1000))
        np.testing.assert_array_equal(label, official['label'][frame])
    first = read(out / 'train' / 'labels_40' / '0001.png')
    assert first[0, 0] == 0  # unlabelled stays void


def test_converted_data_reads_back_through_the_dataset(official):
    from mmengine.registry import init_default_scope

    from fdkd_mm.registry import DATASETS
    result = converter.convert_nyu_depth_v2(*official['paths'], official['out'],
                                            show_progress=False)
    assert (result['train'], result['test']) == (2, 1)
    train_depth = np.minimum(np.rint(official['depth'][[0, 2]] * 1000) / 1000, 10.0)
    assert result['depth_mean'] == pytest.approx(train_depth.mean(), rel=1e-9)
    assert result['depth_std'] == pytest.approx(train_depth.std(), rel=1e-6)

    init_default_scope('fdkd_mm')
    dataset = DATASETS.build(dict(
        type='NYUDepthV2Dataset', data_root=str(official['out']), split='train',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadDepthFromFile'),
                  dict(type='mmseg.LoadAnnotations')]))
    sample = dataset[1]  # frame 3
    np.testing.assert_array_equal(sample['img'][..., ::-1], official['rgb'][2])
    np.testing.assert_allclose(sample['depth'], train_depth[1], rtol=1e-6)
    raw = official['label'][2].astype(np.int64)
    np.testing.assert_array_equal(sample['gt_seg_map'], np.where(raw == 0, 255, raw - 1))


@pytest.mark.parametrize('which', [0, 1, 2])
def test_missing_input_file_is_named(official, which, capsys):
    paths = list(official['paths'])
    paths[which].unlink()
    assert converter.main([*map(str, paths), str(official['out']), '--no-progress']) == 1
    assert str(paths[which]) in capsys.readouterr().err


def test_missing_mat_variable_is_named(official):
    labeled, splits, mapping = official['paths']
    scipy.io.savemat(mapping, dict(mapping=np.ones((1, 894))))
    with pytest.raises(KeyError, match=f"{mapping}.*mapClass"):
        converter.convert_nyu_depth_v2(labeled, splits, mapping, official['out'])
    scipy.io.savemat(splits, dict(trainNdxs=np.array([[1.0]])))
    with pytest.raises(KeyError, match=f"{splits}.*testNdxs"):
        converter.load_splits(splits, N)


def test_missing_hdf5_dataset_is_named(official):
    labeled, splits, mapping = official['paths']
    with h5py.File(labeled, 'a') as f:
        del f['labels']
    with pytest.raises(KeyError, match=f"{labeled}.*labels"):
        converter.convert_nyu_depth_v2(labeled, splits, mapping, official['out'])


def test_split_indices_out_of_range_are_rejected(official):
    _, splits, _ = official['paths']
    scipy.io.savemat(splits, dict(trainNdxs=np.array([[0.0], [1.0]]),
                                  testNdxs=np.array([[2.0]])))
    with pytest.raises(ValueError, match='trainNdxs.*1-based'):
        converter.load_splits(splits, N)


def write_scenes(labeled: Path, names: list) -> None:
    """MATLAB's ``scenes`` cell array as v7.3 stores it: references to (len, 1) uint16 char
    arrays under ``#refs#``."""
    with h5py.File(labeled, 'a') as f:
        refs = []
        for index, name in enumerate(names):
            chars = np.array([[ord(c)] for c in name], dtype=np.uint16)
            refs.append(f.create_dataset(f'#refs#/scene{index}', data=chars).ref)
        f.create_dataset('scenes', data=np.array([refs], dtype=h5py.ref_dtype))


def test_scenes_are_written_for_splitting_by_room(official):
    labeled, splits, mapping = official['paths']
    write_scenes(labeled, ['kitchen_0001', 'bedroom_0050', 'kitchen_0001'])
    out = official['out']
    result = converter.convert_nyu_depth_v2(labeled, splits, mapping, out, show_progress=False)
    assert result['scenes']
    # Frames 1 and 3 (train) share a room; frame 2 (test) is another.
    assert (out / 'scenes.txt').read_text() == ('0001 kitchen_0001\n0003 kitchen_0001\n'
                                                '0002 bedroom_0050\n')
    from mmengine.registry import init_default_scope

    from fdkd_mm.registry import DATASETS
    init_default_scope('fdkd_mm')
    dataset = DATASETS.build(dict(type='NYUDepthV2Dataset', data_root=str(out), split='train',
                                  pipeline=[]))
    assert [dataset.get_data_info(i)['scene'] for i in range(2)] == ['kitchen_0001'] * 2


def test_without_scenes_no_scene_file_is_written(official, capsys):
    out = official['out']
    assert converter.main([*map(str, official['paths']), str(out), '--no-progress']) == 0
    assert not (out / 'scenes.txt').exists()
    assert 'no scenes.txt written' in capsys.readouterr().out
    labeled = official['paths'][0]
    write_scenes(labeled, ['kitchen_0001', 'bedroom_0050'])  # one short
    with pytest.raises(ValueError, match='scenes holds 2 entries for 3 frames'):
        converter.convert_nyu_depth_v2(*official['paths'], out, show_progress=False)
