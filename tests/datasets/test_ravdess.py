"""RAVDESS: file names parsed field by field, the dataset read from the converted layout."""
import pytest

from fdkd_mm.datasets import RAVDESSDataset
from fdkd_mm.datasets.audio_visual.ravdess import RAVDESS_CLASSES, parse_clip_name
from fdkd_mm.testing.synthetic_ravdess import write_synthetic_ravdess


def test_file_name_fields():
    # The RAVDESS README's example: video-only, speech, fearful, normal, "dogs", 1st rep., actor 12.
    name = parse_clip_name('02-01-06-01-02-01-12')
    assert tuple(name) == (2, 1, 6, 1, 2, 1, 12)
    assert name.label_name == 'fearful' and RAVDESS_CLASSES.index('fearful') == 5


@pytest.mark.parametrize('stem', ['01-01-09-01-01-01-01',   # no emotion 09
                                  '01-01-01-01-01-01-25',   # no actor 25
                                  '01-01-01-01-01-01-00',
                                  '04-01-01-01-01-01-01',   # no modality 04
                                  '01-01-01-01-01-01',      # six fields
                                  '01-01-01-01-01-01-01.mp4'])
def test_names_that_are_not_ravdess_clips(stem):
    assert parse_clip_name(stem) is None


def test_dataset_reads_the_converted_layout(tmp_path):
    splits = write_synthetic_ravdess(str(tmp_path))
    for split in ('train', 'val', 'test'):
        dataset = RAVDESSDataset(ann_file=f'{split}.csv', data_root=str(tmp_path))
        assert len(dataset) == 8
        for index, (clip, emotion) in enumerate(splits[split]):
            info = dataset.get_data_info(index)
            assert info['clip_id'] == clip
            assert info['gt_label'] == RAVDESS_CLASSES.index(emotion)
            assert info['gt_label'] == parse_clip_name(clip).emotion - 1
            assert info['audio_path'] == str(tmp_path / 'AudioWAV' / f'{clip}.wav')
            assert info['frame_dir'] == str(tmp_path / 'Frames-15' / clip)


def test_a_row_without_files_is_named(tmp_path):
    write_synthetic_ravdess(str(tmp_path))
    (tmp_path / 'test.csv').write_text('01-01-01-01-01-01-02,neutral\n')
    with pytest.raises(FileNotFoundError, match=r'test.csv:1: audio file of clip '
                                                r"'01-01-01-01-01-01-02' not found"):
        RAVDESSDataset(ann_file='test.csv', data_root=str(tmp_path))
