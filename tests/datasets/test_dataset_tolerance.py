"""What real downloads contain: VGGSound clips that are gone, class subsets, broken files.

VGGSound rows without files are dropped with a count (or listed in the error with
``missing_files='error'``); ``metainfo`` classes filter rows; ``skip_bad_samples`` replaces an
unreadable sample by the next good one in the audio-visual datasets and in CrisisMMD as it
does in NYU, and the error without it names the broken file.
"""
import logging
import os
import os.path as osp
import pickle
import uuid
from pathlib import Path

import pytest
from mmengine.logging import MMLogger

from fdkd_mm.datasets.bad_samples import BadSampleError
from fdkd_mm.registry import DATASETS
from fdkd_mm.testing.synthetic_audio_visual import (write_synthetic_ave, write_synthetic_cremad,
                                                    write_synthetic_vggsound)
from fdkd_mm.testing.synthetic_crisismmd import write_synthetic_crisismmd

FRAMES = [dict(type='fdkd_mm.SampleFrames', num_frames=1, random=False),
          dict(type='fdkd_mm.LoadFrames'), dict(type='fdkd_mm.FramesResize', scale=16)]
PACK = dict(type='fdkd_mm.PackAudioVisualInputs', keys=('audio', 'visual'))
WAV = [dict(type='fdkd_mm.LoadWaveform', sample_rate=16000),
       dict(type='fdkd_mm.LogSpectrogram', duration=0.5, n_fft=256, hop_length=128)]


def vggsound(root: str, split: str = 'test', **kwargs):
    return DATASETS.build(dict(
        type='fdkd_mm.VGGSoundDataset', data_root=root, ann_file=f'{split}.csv',
        data_prefix=dict(audio=f'{split}-audios/{split}-set',
                         visual=f'{split}-videos/{split}-set-img/Image-01-FPS'),
        pipeline=WAV + FRAMES + [PACK], **kwargs))


def frame_dir(root: str, split: str, clip: str) -> str:
    return osp.join(root, f'{split}-videos', f'{split}-set-img', 'Image-01-FPS', clip + '.mp4')


class Collect(logging.Handler):
    """Keeps the messages of the logger it is attached to."""

    def __init__(self) -> None:
        super().__init__()
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def log():
    """The messages the datasets log: a fresh MMLogger becomes the current instance."""
    logger = MMLogger.get_instance(f'tolerance_{uuid.uuid4().hex}')
    handler = Collect()
    logger.addHandler(handler)
    yield lambda: '\n'.join(handler.messages)
    logger.removeHandler(handler)


@pytest.fixture
def vgg(tmp_path):
    root = str(tmp_path / 'vgg')
    rows = write_synthetic_vggsound(root, num_classes=3, clips_per_class=(1, 2))
    return root, rows['test']  # 6 test clips, two per class, in class order a, b, c, a, b, c


# ---------------------------------------------------------------- VGGSound: missing clips
def test_vggsound_drops_rows_without_files_and_counts_them(vgg, log):
    root, rows = vgg
    os.remove(osp.join(root, 'test-audios', 'test-set', rows[1][0] + '.wav'))
    os.rename(frame_dir(root, 'test', rows[4][0]), osp.join(root, 'elsewhere'))
    dataset = vggsound(root)
    kept = [rows[i][0] for i in (0, 2, 3, 5)]
    assert [dataset.get_data_info(i)['clip_id'] for i in range(len(dataset))] == kept
    text = log()
    assert '2 of 6 clips' in text and 'have missing files; left out' in text
    assert rows[1][0] in text and rows[4][0] in text
    # Labels keep their meaning: the class list is not shrunk by the missing clips.
    assert dataset.metainfo['classes'] == tuple(sorted({name for _, name in rows}))


def test_vggsound_missing_files_error_lists_every_row(vgg):
    root, rows = vgg
    for index in (0, 5):
        os.remove(osp.join(root, 'test-audios', 'test-set', rows[index][0] + '.wav'))
    with pytest.raises(FileNotFoundError, match='2 of 6 clips') as error:
        vggsound(root, missing_files='error')
    message = str(error.value)
    assert f'test.csv:1: audio file of clip {rows[0][0]!r}' in message
    assert f'test.csv:6: audio file of clip {rows[5][0]!r}' in message


def test_vggsound_with_no_clip_left_fails_even_when_dropping(vgg):
    root, rows = vgg
    for clip, _ in rows:
        os.remove(osp.join(root, 'test-audios', 'test-set', clip + '.wav'))
    with pytest.raises(FileNotFoundError, match='none is left'):
        vggsound(root)


def test_missing_files_policy_is_validated(vgg):
    with pytest.raises(ValueError, match="missing_files must be one of.*'skip'"):
        vggsound(vgg[0], missing_files='skip')


def test_cremad_still_fails_on_a_missing_file_by_default(tmp_path):
    rows = write_synthetic_cremad(str(tmp_path), clips_per_class=(1, 1))
    clip = rows['train'][2][0]
    os.remove(tmp_path / 'AudioWAV' / f'{clip}.wav')
    with pytest.raises(FileNotFoundError, match=f'AudioWAV/{clip}.wav'):
        DATASETS.build(dict(type='fdkd_mm.CremaDDataset', data_root=str(tmp_path),
                            ann_file='train.csv'))


# ---------------------------------------------------------------- class subsets
def test_vggsound_class_subset_filters_rows_in_subset_order(vgg, log):
    root, rows = vgg
    subset = ('playing violin, fiddle', 'dog barking')  # not sorted: the order is the index
    dataset = vggsound(root, metainfo=dict(classes=subset))
    expected = [(clip, subset.index(name)) for clip, name in rows if name in subset]
    got = [(dataset.get_data_info(i)['clip_id'], dataset.get_data_info(i)['gt_label'])
           for i in range(len(dataset))]
    assert got == expected and len(got) == 4
    assert '2 rows of 1 classes outside the 2 classes of metainfo left out' in log()


def test_class_subset_warns_about_a_class_without_rows(vgg, log):
    dataset = vggsound(vgg[0], metainfo=dict(classes=('dog barking', 'dog barkin')))
    assert len(dataset) == 2
    assert "no clip of the metainfo classes ['dog barkin']" in log()


# ---------------------------------------------------------------- skip_bad_samples
def truncate(path: Path, keep: int = 20) -> None:
    path.write_bytes(path.read_bytes()[:keep])


@pytest.fixture
def cremad(tmp_path):
    rows = write_synthetic_cremad(str(tmp_path), clips_per_class=(1, 1))
    MMLogger.get_instance('fdkd_tolerance')  # a current logger for the skip warnings
    return tmp_path, [clip for clip, _ in rows['train']]


def cremad_dataset(root: Path, **kwargs):
    return DATASETS.build(dict(type='fdkd_mm.CremaDDataset', data_root=str(root),
                               ann_file='train.csv', pipeline=WAV + FRAMES + [PACK], **kwargs))


def test_truncated_wav_is_named(cremad):
    root, clips = cremad
    bad = root / 'AudioWAV' / f'{clips[1]}.wav'
    truncate(bad)
    with pytest.raises(BadSampleError, match=f"CREMA-D sample '{clips[1]}'.*{bad}: cannot be "
                                             'read, truncated'):
        cremad_dataset(root)[1]


def test_undecodable_frame_is_named(cremad):
    root, clips = cremad
    bad = root / 'Image-01-FPS' / clips[2] / 'frame_00002.jpg'  # the middle one of 4, loaded
    truncate(bad, keep=10)
    with pytest.raises(BadSampleError, match=f'{bad}: cannot be decoded'):
        cremad_dataset(root)[2]


def test_pipeline_bug_is_not_a_bad_sample(cremad):
    root, _ = cremad
    dataset = DATASETS.build(dict(
        type='fdkd_mm.CremaDDataset', data_root=str(root), ann_file='train.csv',
        skip_bad_samples=True, pipeline=[dict(type='fdkd_mm.LoadWaveform'),
                                         dict(type='fdkd_mm.LoadFrames')]))  # no SampleFrames
    with pytest.raises(KeyError, match='frame_paths') as error:
        dataset[0]
    assert any("CREMA-D sample" in note for note in error.value.__notes__)


def test_skip_bad_samples_replaces_and_marks_av(cremad):
    root, clips = cremad
    (root / 'AudioWAV' / f'{clips[1]}.wav').write_bytes(b'')
    dataset = cremad_dataset(root, skip_bad_samples=True)
    sample = dataset[1]
    assert sample['data_samples'].clip_id == clips[2]  # the next good clip
    assert sample['data_samples'].bad_samples_replaced == [clips[1]]
    assert dataset.num_bad_samples == 1
    assert 'bad_samples_replaced' not in dataset[0]['data_samples']


def test_corrupt_spectrogram_pickle_is_named_and_skipped(tmp_path):
    rows = write_synthetic_ave(str(tmp_path), num_classes=2, clips_per_class=(2, 0, 0))
    video = rows['train'][0][0]
    bad = tmp_path / 'Audio-1004-SE' / f'{video}.pkl'
    bad.write_bytes(pickle.dumps('not a spectrogram')[:-3])
    cfg = dict(type='fdkd_mm.AVEDataset', data_root=str(tmp_path), ann_file='trainSet.txt',
               pipeline=[dict(type='fdkd_mm.LoadSpectrogram', num_frames=32)] + FRAMES
               + [PACK])
    with pytest.raises(BadSampleError, match=f'{bad}: cannot be read'):
        DATASETS.build(cfg)[0]
    MMLogger.get_instance('fdkd_tolerance')
    sample = DATASETS.build(dict(cfg, skip_bad_samples=True))[0]
    assert sample['data_samples'].bad_samples_replaced == [video]


def test_crisismmd_truncated_image_is_named_and_skipped(tmp_path):
    write_synthetic_crisismmd(str(tmp_path), samples_per_split=dict(train=3))
    pipeline = [dict(type='LoadImageFromFile'),
                dict(type='fdkd_mm.PackTextImageInputs', modalities=('image', ))]
    cfg = dict(type='fdkd_mm.CrisisMMDDataset', data_root=str(tmp_path), split='train',
               pipeline=pipeline)
    dataset = DATASETS.build(cfg)
    bad = Path(dataset.get_data_info(0)['img_path'])
    truncate(bad, keep=30)
    with pytest.raises(BadSampleError, match=f"CrisisMMD sample .*{bad}: cannot be decoded"):
        dataset[0]
    MMLogger.get_instance('fdkd_tolerance')
    skipping = DATASETS.build(dict(cfg, skip_bad_samples=True))
    info = skipping.get_data_info(0)
    assert skipping[0]['data_samples'].bad_samples_replaced == [
        f'{info["tweet_id"]}/{info["image_id"]}']
