"""tools/dataset_converters/ave.py on real mp4 files written by the test.

The raw tree is the official ``AVE_Dataset`` layout: ``AVE/<VideoID>.mp4`` (H.264 + AAC at
44.1 kHz, frames coded with their index, a sine of the category's tone) and the three split
files. Videos are 3 s at 10 fps, so the documented rule (middle frame of every second) keeps
source frames 5, 15 and 25.
"""
import os
import shutil

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from converter_checks import (REPO, dominant_frequency, frame_codes, load_converter, read_wav,
                              run_killed, snapshot, train_two_iterations)
from fdkd_mm.testing.synthetic_audio_visual import AVE_NAMES, tone_frequency
from fdkd_mm.testing.synthetic_downloads import write_raw_ave
from fdkd_mm.testing.synthetic_video import truncate_file, write_video

ave = load_converter('ave')
SECONDS, FPS = 3.0, 10
EXPECTED_CODES = [5, 15, 25]  # t = 0.5, 1.5, 2.5 s
CATEGORIES = AVE_NAMES[:2]  # 'Church bell', 'Male speech, man speaking'


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    base = tmp_path_factory.mktemp('ave')
    raw, out = base / 'AVE_Dataset', base / 'out'
    splits = write_raw_ave(str(raw), clips_per_split=(2, 1, 1), categories=CATEGORIES,
                           seconds=SECONDS, fps=FPS)
    code = ave.main([str(raw), str(out), '--no-progress', '--workers', '2'])
    return dict(raw=raw, out=out, splits=splits, code=code)


def test_frames_wavs_spectrograms_and_split_files(converted):
    out = converted['out']
    assert converted['code'] == 0
    for split, rows in converted['splits'].items():
        assert (out / f'{split}Set.txt').read_text() == \
            (converted['raw'] / f'{split}Set.txt').read_text()
        for video, category in rows:
            assert frame_codes(out / 'Image-01-FPS-SE' / video) == EXPECTED_CODES
            rate, samples = read_wav(out / 'AudioWAV' / f'{video}.wav')
            tone = tone_frequency(CATEGORIES.index(category))
            assert rate == 16000 and abs(len(samples) / rate - SECONDS) < 0.06
            assert abs(dominant_frequency(samples, rate) - tone) < 2
            # .npy: an array without pickled objects, readable with allow_pickle=False.
            spec = np.load(out / 'Audio-1004-SE' / f'{video}.npy', allow_pickle=False)
            assert spec.dtype == np.float32 and spec.shape == (257, 1004)
            assert abs(spec.mean()) < 1e-4 and abs(spec.std() - 1) < 1e-4  # standardised
            # Bin k is k * 22050 / 512 Hz: the tone's row is the loudest at every time.
            loudest = np.argmax(spec, axis=0)
            assert np.all(np.abs(loudest - tone * 512 / 22050) <= 1), set(loudest)


def test_spectrogram_follows_the_public_recipe():
    """A 1 s 16 kHz sine: resampled to 22,050 Hz, tiled to 160,000 samples, 1004 frames."""
    rate, tone = 16000, 1000.0
    samples = np.round(0.5 * 32767 * np.sin(2 * np.pi * tone * np.arange(rate) / rate))
    spec = ave.spectrogram(samples.astype(np.int16), rate)
    assert spec.shape == (257, 1 + (160000 - 512) // (512 - 353))
    # Above the 8 kHz band of a 16 kHz source (bin 186) only the floor of log(S + 1e-7).
    assert spec[200:].max() < spec[round(tone * 512 / 22050)].min()
    float_input = ave.spectrogram(samples / 32768.0, rate)
    np.testing.assert_allclose(spec, float_input, atol=1e-4)


def test_failed_videos_are_reported_and_left_out_of_the_splits(tmp_path, capsys):
    raw, out = tmp_path / 'AVE_Dataset', tmp_path / 'out'
    splits = write_raw_ave(str(raw), clips_per_split=(3, 1, 1), categories=CATEGORIES,
                           seconds=SECONDS, fps=FPS)
    broken, silent = splits['train'][0][0], splits['train'][1][0]
    truncate_file(raw / 'AVE' / f'{broken}.mp4', 0.6)
    write_video(raw / 'AVE' / f'{silent}.mp4', SECONDS, FPS, tone_hz=None)
    assert ave.main([str(raw), str(out), '--no-progress']) == 0
    printed = capsys.readouterr().out
    assert '5 clips: 3 converted, 0 already complete, 2 failed' in printed
    reasons = dict(line.split('\t')[:2] for line in
                   (out / 'conversion_failures.tsv').read_text().splitlines()[1:])
    assert reasons == {broken: 'corrupt or unreadable video', silent: 'no audio stream'}
    kept = splits['train'][2]
    assert (out / 'trainSet.txt').read_text() == f'{kept[1]}&{kept[0]}&good&0&3\n'


def test_in_place_conversion_is_refused(converted, capsys):
    raw = converted['raw']
    assert ave.main([str(raw), str(raw), '--no-progress']) == 1
    assert 'OUT_ROOT must differ from RAW_ROOT' in capsys.readouterr().err


def test_killed_after_the_wav_resumes_with_the_spectrogram(tmp_path, capsys):
    raw, out = tmp_path / 'AVE_Dataset', tmp_path / 'out'
    splits = write_raw_ave(str(raw), clips_per_split=(2, 1, 1), categories=CATEGORIES,
                           seconds=SECONDS, fps=FPS)
    first = splits['train'][0][0]
    argv = [str(raw), str(out), '--no-progress']
    killed = run_killed('ave', argv, kill_at=3)  # frames, wav, then the .npy of video 1
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert (out / 'AudioWAV' / f'{first}.wav').is_file()
    assert not (out / 'Audio-1004-SE' / f'{first}.npy').exists()
    assert any(name.startswith(f'.{first}.npy.tmp-')
               for name in os.listdir(out / 'Audio-1004-SE'))
    before = snapshot(out)
    assert ave.main(argv) == 0
    assert '4 clips: 4 converted' in capsys.readouterr().out  # video 1: its .npy only
    after = snapshot(out)
    assert after[f'AudioWAV/{first}.wav'] == before[f'AudioWAV/{first}.wav']
    assert not [name for name in os.listdir(out / 'Audio-1004-SE') if '.tmp-' in name]
    assert np.load(out / 'Audio-1004-SE' / f'{first}.npy').shape == (257, 1004)
    assert ave.main(argv) == 0
    assert '4 clips: 0 converted, 4 already complete' in capsys.readouterr().out
    assert snapshot(out) == after


def test_verify_counts_and_names_a_bad_spectrogram(converted, tmp_path, capsys):
    out = tmp_path / 'copy'
    shutil.copytree(converted['out'], out)
    argv = [str(converted['raw']), str(out), '--verify', '--no-progress']
    assert ave.main(argv) == 0
    printed = capsys.readouterr().out
    for split in ('train: 2 clips in 2 classes', 'val: 1 clips in 1 classes',
                  'test: 1 clips in 1 classes', 'AVE: layout OK'):
        assert split in printed
    video = converted['splits']['val'][0][0]
    np.save(out / 'Audio-1004-SE' / f'{video}.npy', np.zeros((257, 1000), np.float32))
    assert ave.main(argv) == 1
    assert f'{video}.npy: spectrogram of shape (257, 1000), expected (257, 1004)' in \
        capsys.readouterr().out


def test_output_builds_the_config_dataset_and_trains(converted, tmp_path):
    from mmengine.config import Config

    from fdkd_mm.registry import DATASETS
    init_default_scope('fdkd_mm')
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/ave_av.py'))
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=str(converted['out'])))
    # The config names no suffix: the dataset takes the converter's .npy files.
    assert [dataset.get_data_info(i)['audio_path'][-4:] for i in range(len(dataset))] == \
        ['.npy'] * 2
    sample = dataset[0]
    assert tuple(sample['inputs']['audio'].shape) == (1, 257, 1024)
    assert tuple(sample['inputs']['visual'].shape) == (3, 1, 224, 224)
    train_two_iterations('configs/uni/uni_r18-audio_ave.py', converted['out'],
                         tmp_path / 'work', 'audio')
