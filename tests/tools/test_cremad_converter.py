"""tools/dataset_converters/cremad.py on real flv files written by the test.

The raw tree is the official layout: ``VideoFlash/<clip>.flv`` (Sorenson H.263 + mp3, frames
coded with their index, see ``fdkd_mm.testing.synthetic_video``) and ``AudioWAV/<clip>.wav``
(16 kHz). Clips are 2.5 s at 10 fps, so the documented rule (first frame of every second)
keeps source frames 0, 10 and 20.
"""
import os
import shutil
from pathlib import Path

import pytest
from mmengine.registry import init_default_scope

from converter_checks import (REPO, dominant_frequency, frame_codes, load_converter, read_wav,
                              run_killed, snapshot, train_two_iterations)
from fdkd_mm.datasets.audio_visual.cremad import CREMAD_CLASSES
from fdkd_mm.testing.synthetic_audio_visual import tone_frequency
from fdkd_mm.testing.synthetic_downloads import write_raw_cremad
from fdkd_mm.testing.synthetic_video import truncate_file, write_video

cremad = load_converter('cremad')
SECONDS, FPS = 2.5, 10
EXPECTED_CODES = [0, 10, 20]  # t = 0, 1, 2 s


def write_split(path: Path, clips: list[str]) -> Path:
    path.write_text(''.join(f'{clip},{clip.split("_")[2]}\n' for clip in clips))
    return path


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """Four clips converted with public-style split files, one test row without a video."""
    base = tmp_path_factory.mktemp('cremad')
    raw, out = base / 'CREMA-D', base / 'out'
    clips = write_raw_cremad(str(raw), actors=(1001, 1002), seconds=SECONDS, fps=FPS)
    train = write_split(base / 'train.csv', clips[:3])
    test = write_split(base / 'test.csv', [clips[3], '1090_IEO_SAD_XX'])  # no such video
    code = cremad.main([str(raw), str(out), '--split-files', str(train), str(test),
                        '--no-progress'])
    return dict(raw=raw, out=out, clips=clips, code=code)


def test_frames_wavs_and_split_files(converted, capsys):
    out, raw, clips = converted['out'], converted['raw'], converted['clips']
    assert converted['code'] == 0
    for clip in clips:
        assert frame_codes(out / 'Image-01-FPS' / clip) == EXPECTED_CODES
        # The download's own wav, unchanged (the configs resample it when loading).
        assert (out / 'AudioWAV' / f'{clip}.wav').read_bytes() == \
            (raw / 'AudioWAV' / f'{clip}.wav').read_bytes()
    assert (out / 'train.csv').read_text() == ''.join(
        f'{clip},{clip.split("_")[2]}\n' for clip in clips[:3])
    # The row whose video is missing is dropped (and reported), the rest kept.
    assert (out / 'test.csv').read_text() == f'{clips[3]},{clips[3].split("_")[2]}\n'
    failures = (out / 'conversion_failures.tsv').read_text().splitlines()
    assert failures[1].startswith('1090_IEO_SAD_XX\tmissing video\t')


def test_failure_report_lists_every_fault_and_the_run_goes_on(tmp_path, capsys):
    raw, out = tmp_path / 'raw', tmp_path / 'out'
    clips = write_raw_cremad(str(raw), actors=(1001, 1002, 1003), seconds=SECONDS, fps=FPS)
    truncated, empty, silent, no_wav = clips[:4]
    truncate_file(raw / 'VideoFlash' / f'{truncated}.flv', 0.5)
    (raw / 'VideoFlash' / f'{empty}.flv').write_bytes(b'')
    write_video(raw / 'VideoFlash' / f'{silent}.flv', SECONDS, FPS, video_codec='flv',
                tone_hz=None)
    (raw / 'AudioWAV' / f'{silent}.wav').unlink()
    (raw / 'AudioWAV' / f'{no_wav}.wav').unlink()
    train = write_split(tmp_path / 'train.csv', clips[:4])
    test = write_split(tmp_path / 'test.csv', clips[4:])
    assert cremad.main([str(raw), str(out), '--split-files', str(train), str(test),
                        '--no-progress']) == 0
    printed = capsys.readouterr().out
    assert '6 clips: 3 converted, 0 already complete, 3 failed' in printed
    assert f'1 clip(s): {cremad.AUDIO_FROM_VIDEO}' in printed
    reasons = dict(line.split('\t')[:2] for line in
                   (out / 'conversion_failures.tsv').read_text().splitlines()[1:])
    assert reasons == {truncated: 'truncated video', empty: 'corrupt or unreadable video',
                       silent: 'no audio stream'}
    assert (out / 'train.csv').read_text() == f'{no_wav},HAP\n'
    assert '(3 rows dropped: their clips failed' in printed
    # The missing wav came from the flv's track: 16 kHz, the clip's length, the flv's tone.
    rate, samples = read_wav(out / 'AudioWAV' / f'{no_wav}.wav')
    assert rate == 16000 and abs(len(samples) / rate - SECONDS) < 0.06
    flv_tone = tone_frequency(CREMAD_CLASSES.index('HAP')) / 2
    assert abs(dominant_frequency(samples, rate) - flv_tone) < 2


def test_speaker_independent_split_is_seeded_and_disjoint():
    clips = [f'{actor}_{sentence}_ANG_XX' for actor in range(1001, 1011)
             for sentence in ('IEO', 'TIE', 'DFA')]
    train, test, test_actors = cremad.speaker_split(clips, 0.2, seed=3)
    assert len(test_actors) == 2 and len(test) == 6 and len(train) == 24
    assert {c[:4] for c in train}.isdisjoint(c[:4] for c in test)
    assert sorted(train + test) == sorted(clips)
    assert cremad.speaker_split(clips, 0.2, seed=3) == (train, test, test_actors)
    assert {cremad.speaker_split(clips, 0.2, seed=s)[2][0] for s in range(6)} != {test_actors[0]}


def test_no_split_files_writes_a_speaker_split_with_a_warning(tmp_path, capsys):
    raw, out = tmp_path / 'raw', tmp_path / 'out'
    clips = write_raw_cremad(str(raw), actors=(1001, 1002), emotions=('NEU', ), seconds=1.0)
    assert cremad.main([str(raw), str(out), '--test-fraction', '0.5', '--no-progress']) == 0
    warning = capsys.readouterr().err
    assert 'speaker-independent split' in warning and 'do not compare' in warning
    rows = {split: (out / f'{split}.csv').read_text().splitlines() for split in ('train', 'test')}
    assert sorted(rows['train'] + rows['test']) == [f'{clip},NEU' for clip in clips]
    assert len(rows['train']) == len(rows['test']) == 1


def test_killed_run_leaves_no_partial_output_and_resumes(tmp_path, capsys):
    raw, out = tmp_path / 'raw', tmp_path / 'out'
    clips = write_raw_cremad(str(raw), actors=(1001, 1002), seconds=SECONDS, fps=FPS)
    train = write_split(tmp_path / 'train.csv', clips[:3])
    test = write_split(tmp_path / 'test.csv', clips[3:])
    argv = [str(raw), str(out), '--split-files', str(train), str(test), '--no-progress']
    # Outputs in order: frames and wav of clip 0, then the frames of clip 1 (killed).
    killed = run_killed('cremad', argv, kill_at=3)
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert (out / 'AudioWAV' / f'{clips[0]}.wav').is_file()
    assert frame_codes(out / 'Image-01-FPS' / clips[0]) == EXPECTED_CODES
    assert not (out / 'Image-01-FPS' / clips[1]).exists()
    leftovers = [name for name in os.listdir(out / 'Image-01-FPS') if '.tmp-' in name]
    assert len(leftovers) == 1 and leftovers[0].startswith(f'.{clips[1]}.tmp-')
    assert not (out / 'train.csv').exists()  # split files come last

    before = snapshot(out)
    assert cremad.main(argv) == 0
    assert '4 clips: 3 converted, 1 already complete, 0 failed' in capsys.readouterr().out
    after = snapshot(out)
    for path in (f'AudioWAV/{clips[0]}.wav', f'Image-01-FPS/{clips[0]}/frame_00001.jpg'):
        assert after[path] == before[path], f'{path} was rewritten'
    assert not [name for name in os.listdir(out / 'Image-01-FPS') if '.tmp-' in name]
    for clip in clips:
        assert frame_codes(out / 'Image-01-FPS' / clip) == EXPECTED_CODES
    assert len((out / 'train.csv').read_text().splitlines()) == 3


def test_verify_counts_per_split_and_class_and_names_bad_files(converted, tmp_path, capsys):
    out = tmp_path / 'copy'
    shutil.copytree(converted['out'], out)
    argv = [str(converted['raw']), str(out), '--verify', '--no-progress']
    assert cremad.main(argv) == 0
    printed = capsys.readouterr().out
    assert 'train: 3 clips in 2 classes' in printed and 'test: 1 clips in 1 classes' in printed
    assert '  ANG       2' in printed and '  HAP       1' in printed
    assert 'CREMA-D: layout OK' in printed
    bad = out / 'Image-01-FPS' / converted['clips'][1] / 'frame_00002.jpg'
    bad.write_bytes(b'\xff\xd8 not a jpeg')
    (out / 'AudioWAV' / f'{converted["clips"][3]}.wav').unlink()
    assert cremad.main(argv) == 1
    printed = capsys.readouterr().out
    assert f'{bad}: cannot be decoded' in printed
    assert 'test: the dataset does not build' in printed and converted['clips'][3] in printed


def test_output_builds_the_config_dataset_and_trains(converted, tmp_path):
    from mmengine.config import Config

    from fdkd_mm.registry import DATASETS
    init_default_scope('fdkd_mm')
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/cremad_av.py'))
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=str(converted['out'])))
    sample = dataset[0]
    assert tuple(sample['inputs']['audio'].shape) == (1, 257, 188)
    assert tuple(sample['inputs']['visual'].shape) == (3, 1, 224, 224)
    train_two_iterations('configs/uni/uni_r18-visual_cremad.py', converted['out'],
                         tmp_path / 'work', 'visual')
