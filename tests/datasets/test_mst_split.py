"""MST-Distill's split index files and AV-MNIST under their protocol, on files in their formats."""
from pathlib import Path

import numpy as np
import pytest

from fdkd_mm.datasets.avmnist_mst import MSTAVMNISTDataset
from fdkd_mm.datasets.mst_split import read_index_column, split_of
from fdkd_mm.errors import DataError
from fdkd_mm.testing.synthetic_avmnist import write_synthetic_avmnist


def write_index(path, columns: list[list[int]]) -> None:
    """An index CSV as theirs: header group_0..group_{k-1}, one row per sample position."""
    rows = [','.join(f'group_{k}' for k in range(len(columns)))]
    rows += [','.join(str(column[i]) for column in columns) for i in range(len(columns[0]))]
    path.write_text('\n'.join(rows) + '\n')


def test_a_column_is_read_and_cut_60_20_20(tmp_path):
    path = tmp_path / 'RAVDESS_indices.csv'
    group1 = [7, 2, 9, 0, 4, 1, 8, 3, 6, 5]
    write_index(path, [list(range(10)), group1])
    column = read_index_column(str(path), 1, num_samples=10)
    assert column == group1
    # int(10 * 0.6) = 6 train, int(10 * 0.8) = 8: 2 val, 2 test.
    assert split_of(column, 'train') == [7, 2, 9, 0, 4, 1]
    assert split_of(column, 'val') == [8, 3]
    assert split_of(column, 'test') == [6, 5]
    # 1440 clips (RAVDESS): 864 / 288 / 288.
    big = list(range(1440))
    assert [len(split_of(big, s)) for s in ('train', 'val', 'test')] == [864, 288, 288]


@pytest.mark.parametrize('rows, group, message', [
    (['group_0', '0', '5', '1'], 0, r'line 3: sample 5 of group_0 is not on disk \(the data '
                                    r'holds 3 samples'),
    (['group_0', '0', '1', '0'], 0, 'line 4: sample 0 of group_0 repeats line 2'),
    (['group_0', '0', 'x', '1'], 0, "line 3: group_0 is 'x', not a sample position"),
    (['group_0,group_1', '0,1', '1', '2,0'], 1, 'line 3: 1 fields, the header has 2'),
    (['group_0', '0', '1', '2'], 3, "line 1: no column 'group_3'"),
    ([], 0, 'line 1: empty index file'),
])
def test_bad_index_files_name_file_and_line(tmp_path, rows, group, message):
    path = tmp_path / 'CMMD-V2_indices.csv'
    path.write_text('\n'.join(rows) + ('\n' if rows else ''))
    with pytest.raises(DataError, match=message) as error:
        read_index_column(str(path), group, num_samples=3)
    assert str(path) in str(error.value)


def test_missing_index_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match='nope.csv'):
        read_index_column(str(tmp_path / 'nope.csv'), 0, 3)


def make_avmnist(root, num_train=6, num_test=4, group=None):
    labels = write_synthetic_avmnist(str(root), num_train=num_train, num_test=num_test)
    total = num_train + num_test
    write_index(root / 'AV-MNIST_indices.csv',
                [group or list(range(total))[::-1], list(range(total))])
    return labels


def test_avmnist_split_indexes_train_then_test_arrays(tmp_path):
    labels = make_avmnist(tmp_path)
    # group_0 is 9, 8, ..., 0: train = positions 9..4 (test pairs 3..0, train pairs 5, 4).
    train = MSTAVMNISTDataset(str(tmp_path), split='train', pipeline=[])
    infos = [train.get_data_info(i) for i in range(len(train))]
    assert [d['index'] for d in infos] == [9, 8, 7, 6, 5, 4]
    expected = [int(labels['test'][i - 6]) for i in (9, 8, 7, 6)] + [
        int(labels['train'][i]) for i in (5, 4)]
    assert [d['gt_label'] for d in infos] == expected
    test = MSTAVMNISTDataset(str(tmp_path), split='test', group=1, pipeline=[])
    assert [test.get_data_info(i)['index'] for i in range(len(test))] == [8, 9]
    sample = test.get_data_info(0)  # position 8: test pair 2
    image = np.load(tmp_path / 'image' / 'test_data.npy')[2].astype(np.float32).reshape(28, 28)
    audio = np.load(tmp_path / 'audio' / 'test_data.npy')[2].astype(np.float32)
    assert sample['image'].shape == (1, 28, 28) and sample['audio'].shape == (1, 112, 112)
    # Each array min-max scaled on its own, as their loader does.
    assert sample['image'].min() == 0.0 and sample['image'].max() == 1.0
    np.testing.assert_allclose(sample['image'][0],
                               (image - image.min()) / (image.max() - image.min()), rtol=1e-6)
    np.testing.assert_allclose(sample['audio'][0],
                               (audio - audio.min()) / (audio.max() - audio.min()), rtol=1e-6)
    assert sample['gt_label'] == int(labels['test'][2])


def test_avmnist_index_naming_a_pair_not_on_disk_is_refused(tmp_path):
    make_avmnist(tmp_path, group=[0, 1, 2, 3, 4, 5, 6, 7, 8, 12])
    with pytest.raises(DataError, match=r'AV-MNIST_indices.csv line 11: sample 12 of group_0 '
                                        r'is not on disk \(the data holds 10 samples'):
        MSTAVMNISTDataset(str(tmp_path), split='train', pipeline=[])


def test_avmnist_index_file_outside_the_data_root_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv('FDKD_ALLOW_OUTSIDE_DATA_ROOT', raising=False)
    root = tmp_path / 'avmnist'
    make_avmnist(root)
    (tmp_path / 'elsewhere.csv').write_text((root / 'AV-MNIST_indices.csv').read_text())
    with pytest.raises(DataError, match="path '../elsewhere.csv' in index_file leaves"):
        MSTAVMNISTDataset(str(root), index_file='../elsewhere.csv', pipeline=[])
    with pytest.raises(DataError, match='absolute path'):
        MSTAVMNISTDataset(str(root), index_file=str(tmp_path / 'elsewhere.csv'), pipeline=[])


def test_avmnist_index_must_cover_every_pair(tmp_path):
    make_avmnist(tmp_path, group=[0, 1, 2, 3, 4, 5, 6, 7, 8])  # one pair short
    with pytest.raises(DataError, match='group_0 lists 9 pairs, the data holds 10'):
        MSTAVMNISTDataset(str(tmp_path), split='val', pipeline=[])


def make_nyu(root, num_train=6, num_test=4, group=None):
    from fdkd_mm.testing.synthetic_nyu import write_synthetic_nyu
    write_synthetic_nyu(root, num_train=num_train, num_test=num_test, height=16, width=16)
    total = num_train + num_test
    write_index(root / 'NYU-Depth-V2_indices.csv', [group or list(range(total))[::-1]])


def test_nyu_positions_are_frames_of_either_official_folder(tmp_path):
    from fdkd_mm.datasets.nyu_mst import MSTNYUDepthV2Dataset
    make_nyu(tmp_path)
    # group_0 = 9, 8, ..., 0: train = positions 9..4 = frames 0010..0005 (0010..0007 under
    # test/, 0006 and 0005 under train/).
    train = MSTNYUDepthV2Dataset(str(tmp_path), split='train', num_frames=10, pipeline=[])
    infos = [train.get_data_info(i) for i in range(len(train))]
    assert [d['sample_id'] for d in infos] == ['0010', '0009', '0008', '0007', '0006', '0005']
    assert [Path(d['img_path']).parts[-3] for d in infos] == ['test'] * 4 + ['train'] * 2
    assert Path(infos[0]['seg_map_path']).relative_to(tmp_path).as_posix() == \
        'test/labels_40/0010.png'
    assert not infos[0]['reduce_zero_label']
    # 41 labels, void first: stored values 0..40 are the classes as theirs.
    assert len(train.metainfo['classes']) == 41 and train.metainfo['classes'][0] == 'void'
    assert [len(MSTNYUDepthV2Dataset(str(tmp_path), split=s, num_frames=10, pipeline=[]))
            for s in ('val', 'test')] == [2, 2]


def test_nyu_frame_missing_on_disk_is_named_with_its_line(tmp_path):
    from fdkd_mm.datasets.nyu_mst import MSTNYUDepthV2Dataset
    make_nyu(tmp_path)
    (tmp_path / 'test' / 'depth' / '0008.png').unlink()  # frame 0008 = position 7, line 4
    with pytest.raises(DataError, match=r'NYU-Depth-V2_indices.csv line 4: sample 7 \(frame '
                                        r'0008\) is not on disk'):
        MSTNYUDepthV2Dataset(str(tmp_path), split='train', num_frames=10, pipeline=[])
