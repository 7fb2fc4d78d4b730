"""VGGSound-50k (141 classes) and CrisisMMD-V2 humanitarian (8 classes) under MST-Distill's
protocol: their metadata and index files over small data in our on-disk layouts."""
from pathlib import Path

import pytest

from fdkd_mm.datasets.audio_visual.vggsound_mst import MSTVGGSoundDataset
from fdkd_mm.datasets.crisismmd_mst import MSTCrisisMMDDataset
from fdkd_mm.errors import DataError
from fdkd_mm.testing.synthetic_mst import (write_index, write_mst_crisismmd8,
                                           write_mst_vggsound50k)

# ----------------------------------------------------------------------------- VGGSound-50k
# Positions 0-2 are the synthetic test clips, 3-8 the training clips; position p is of the
# synthetic class p % 3 (violin, dog, male singing), which the class file numbers 1, 2, 0.
VGG_GROUP = [8, 3, 0, 5, 1, 7, 2, 6, 4]


def make_vggsound(root: Path, group=None, **kwargs) -> list:
    clips = write_mst_vggsound50k(str(root), **kwargs)
    write_index(str(root / 'VGGSound-50k_indices.csv'), [list(range(9)), group or VGG_GROUP])
    return clips


def vgg(root: Path, split: str, **kwargs) -> MSTVGGSoundDataset:
    return MSTVGGSoundDataset(str(root), split=split, group=1, pipeline=[], **kwargs)


def test_vggsound50k_split_labels_and_folders(tmp_path):
    clips = make_vggsound(tmp_path)
    train = vgg(tmp_path, 'train')
    infos = [train.get_data_info(i) for i in range(len(train))]
    # int(9 * 0.6) = 5 train, int(9 * 0.8) = 7: 2 val, 2 test.
    assert [d['position'] for d in infos] == [8, 3, 0, 5, 1]
    assert [d['clip_id'] for d in infos] == [clips[p][0] for p in (8, 3, 0, 5, 1)]
    assert [d['gt_label'] for d in infos] == [0, 1, 1, 0, 2]
    assert [d['label_name'] for d in infos] == ['male singing', 'playing violin, fiddle',
                                                'playing violin, fiddle', 'male singing',
                                                'dog barking']
    # Positions 0-2 are found in the test folders, the others in the training folders.
    assert [Path(d['audio_path']).relative_to(tmp_path).parts[0] for d in infos] == [
        'train-audios', 'train-audios', 'test-audios', 'train-audios', 'test-audios']
    assert Path(infos[0]['frame_dir']).name == clips[8][0] + '.mp4'
    classes = train.metainfo['classes']
    assert len(classes) == 141 and classes[:3] == ('male singing', 'playing violin, fiddle',
                                                   'dog barking')
    assert [vgg(tmp_path, s).get_data_info(0)['position'] for s in ('val', 'test')] == [7, 6]
    assert [len(vgg(tmp_path, s)) for s in ('val', 'test')] == [2, 2]


def test_vggsound50k_without_class_file_names_classes_by_index(tmp_path):
    make_vggsound(tmp_path)
    train = vgg(tmp_path, 'train', class_file=None)
    assert train.metainfo['classes'] == tuple(str(k) for k in range(141))
    assert [train.get_data_info(i)['gt_label'] for i in range(5)] == [0, 1, 1, 0, 2]


def test_vggsound50k_clip_not_on_disk_names_index_and_metadata_lines(tmp_path):
    clips = make_vggsound(tmp_path)
    clip = clips[5][0]  # a training clip; position 5 is row 4 of group_1 (line 5)
    (tmp_path / 'train-audios' / 'train-set' / f'{clip}.wav').unlink()
    with pytest.raises(DataError, match=rf'VGGSound-50k_indices.csv line 5: sample 5 \(clip '
                                        rf'{clip}, .*VGGS50k_metadata.txt line 6\) is not on '
                                        'disk'):
        vgg(tmp_path, 'train')


@pytest.mark.parametrize('line, message', [
    ('nonsense', r"line 3: 'nonsense' is not \"<name>&<label>\""),
    ('vabc_12_22_out&1', r"line 3: 'vabc_12_22_out&1' is not"),  # no 11-character id
    ('vAAAAAAAAAAA_12_22_out&141', 'line 3: label 141 is not a class index 0-140'),
])
def test_vggsound50k_bad_metadata_line_is_named(tmp_path, line, message):
    make_vggsound(tmp_path)
    path = tmp_path / 'VGGS50k_metadata.txt'
    lines = path.read_text().splitlines()
    lines[2] = line
    path.write_text('\n'.join(lines) + '\n')
    with pytest.raises(DataError, match=message) as error:
        vgg(tmp_path, 'train')
    assert str(path) in str(error.value)


def test_vggsound50k_index_must_count_the_metadata_samples(tmp_path):
    make_vggsound(tmp_path)
    write_index(str(tmp_path / 'VGGSound-50k_indices.csv'), [list(range(8))])
    with pytest.raises(DataError, match='group_0 lists 8 samples, .*VGGS50k_metadata.txt '
                                        'lists 9'):
        MSTVGGSoundDataset(str(tmp_path), pipeline=[])
    write_index(str(tmp_path / 'VGGSound-50k_indices.csv'), [list(range(8)) + [9]])
    with pytest.raises(DataError, match=r'indices.csv line 10: sample 9 of group_0 is not on '
                                        'disk'):
        MSTVGGSoundDataset(str(tmp_path), pipeline=[])


def test_vggsound50k_class_file_needs_141_categories(tmp_path):
    make_vggsound(tmp_path, num_classes=140)
    with pytest.raises(DataError, match='vggsound-avel50k.csv: 140 categories, VGGSound-50k '
                                        'has 141'):
        vgg(tmp_path, 'train')


def test_vggsound50k_files_stay_inside_the_data_root(tmp_path, monkeypatch):
    monkeypatch.delenv('FDKD_ALLOW_OUTSIDE_DATA_ROOT', raising=False)
    root = tmp_path / 'vgg'
    make_vggsound(root)
    (tmp_path / 'meta.txt').write_text((root / 'VGGS50k_metadata.txt').read_text())
    with pytest.raises(DataError, match="path '../meta.txt' in metadata_file leaves"):
        vgg(root, 'train', metadata_file='../meta.txt')


# ----------------------------------------------------------------------------- CrisisMMD-V2
# Their positions run through the dev, test, then train TSVs, one per tweet: positions 0-11 are
# the synthetic tweets 7, 8, 9, 10, 11, 12, 1, ..., 6. Tweet n has the alphabetical class
# (n - 1) % 8 of the synthetic writer.
CMMD_GROUP = [11, 4, 0, 7, 2, 9, 5, 1, 10, 3, 6, 8]


def make_crisismmd(root: Path, group=None) -> list:
    tweets = write_mst_crisismmd8(str(root))
    write_index(str(root / 'CMMD-V2_indices.csv'), [list(range(12)), group or CMMD_GROUP])
    return tweets


def cmmd(root: Path, split: str, **kwargs) -> MSTCrisisMMDDataset:
    return MSTCrisisMMDDataset(str(root), split=split, group=1, pipeline=[], **kwargs)


def test_crisismmd8_split_follows_their_tweet_order_and_class_numbers(tmp_path):
    make_crisismmd(tmp_path)
    train = cmmd(tmp_path, 'train')
    infos = [train.get_data_info(i) for i in range(len(train))]
    # int(12 * 0.6) = 7 train, int(12 * 0.8) = 9: 2 val, 3 test.
    assert [d['position'] for d in infos] == [11, 4, 0, 7, 2, 9, 5]
    assert [int(d['tweet_id']) - 900000000000000000 for d in infos] == [6, 11, 7, 2, 9, 4, 12]
    # other_relevant_information, injured_or_dead_people, rescue_..., infrastructure_...,
    # affected_individuals, missing_or_found_people (twice) in their numbering.
    assert [d['gt_label'] for d in infos] == [7, 3, 5, 2, 1, 4, 4]
    assert all(d['image_id'].endswith('_0') for d in infos)  # a tweet's first image
    assert train.metainfo['classes'][0] == 'not_humanitarian'
    assert len(train.metainfo['classes']) == 8
    test = cmmd(tmp_path, 'test')
    assert [int(test.get_data_info(i)['tweet_id']) - 900000000000000000
            for i in range(len(test))] == [10, 1, 3]
    assert len(cmmd(tmp_path, 'val')) == 2


def test_crisismmd8_image_not_on_disk_names_index_line(tmp_path):
    make_crisismmd(tmp_path)
    # Position 9 is tweet 4 (a training tweet), row 6 of group_1: line 7.
    image = next((tmp_path / 'data_image').rglob('900000000000000004_0.jpg'))
    image.unlink()
    with pytest.raises(DataError, match=r'CMMD-V2_indices.csv line 7: sample 9 \(tweet '
                                        r'900000000000000004 of .*task_humanitarian_text_img_'
                                        r'train.tsv\) is not on disk'):
        cmmd(tmp_path, 'train')
    assert len(cmmd(tmp_path, 'val')) == 2  # the other splits do not need it


def test_crisismmd8_index_must_count_the_tweets(tmp_path):
    make_crisismmd(tmp_path)
    write_index(str(tmp_path / 'CMMD-V2_indices.csv'), [list(range(11))])
    with pytest.raises(DataError, match=r'group_0 lists 11 samples, the humanitarian TSVs '
                                        r'\(dev, test, train\) hold 12 tweets'):
        MSTCrisisMMDDataset(str(tmp_path), pipeline=[])
    write_index(str(tmp_path / 'CMMD-V2_indices.csv'), [list(range(11)) + [12]])
    with pytest.raises(DataError, match='CMMD-V2_indices.csv line 13: sample 12 of group_0 is '
                                        'not on disk'):
        MSTCrisisMMDDataset(str(tmp_path), pipeline=[])


def test_crisismmd8_rejects_a_benchmark_split_name(tmp_path):
    make_crisismmd(tmp_path)
    with pytest.raises(DataError, match="split must be one of \\('train', 'val', 'test'\\)"):
        cmmd(tmp_path, 'dev')
