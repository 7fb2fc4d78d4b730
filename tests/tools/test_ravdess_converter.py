"""tools/dataset_converters/ravdess.py on real per-actor zips of mp4 clips written by the test.

Clips are 1.2 s at 30 fps (36 frames, 48 x 48, H.264 + AAC tone at 440 Hz), members
``Actor_NN/<clip>.mp4`` of ``Video_Speech_Actor_NN.zip``. The documented rule keeps frame
``7 i + 3`` of the first 108 (3.6 s at 30 fps): frames 3, 10, 17, 24, 31 exist, the other ten
are black; the audio is padded with zeros to 3.6 s at 22,050 Hz.
"""
import shutil
from pathlib import Path

import numpy as np
import pytest

from converter_checks import (dominant_frequency, frame_codes, load_converter, read_wav,
                              run_killed, snapshot)
from fdkd_mm.datasets.audio_visual.ravdess import parse_clip_name
from fdkd_mm.testing.synthetic_ravdess import clip_name, write_raw_ravdess

ravdess = load_converter('ravdess')
SECONDS = 1.2
EXPECTED_CODES = [3, 10, 17, 24, 31] + [0] * 10
LENGTH = int(22050 * 3.6)
SILENT = clip_name(emotion=4, actor=9, statement=2)  # written without an audio stream


def raw_clips() -> dict:
    """Actors 1 (test), 5 (val), 9 (train): two AV speech clips each, a video-only twin."""
    clips = {}
    for actor in (1, 5, 9):
        clips[actor] = [clip_name(emotion=3, actor=actor), clip_name(emotion=8, actor=actor),
                        clip_name(emotion=3, actor=actor, modality=2)]
    clips[9].append(SILENT)
    return clips


def convert(raw: Path, out: Path, *extra: str) -> int:
    return ravdess.main([str(raw), str(out), '--frame-size', '32', '--allow-missing-actors',
                         '--no-progress', *extra])


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    base = tmp_path_factory.mktemp('ravdess')
    raw, out = base / 'zips', base / 'out'
    write_raw_ravdess(str(raw), raw_clips(), seconds=SECONDS, size=(48, 48), no_audio=[SILENT])
    return dict(raw=raw, out=out, code=convert(raw, out))


def test_fifteen_frames_and_a_padded_wav_per_clip(converted):
    out = converted['out']
    assert converted['code'] == 0
    clips = sorted(p.name for p in (out / 'Frames-15').iterdir())
    assert clips == sorted(c for a in (1, 5, 9) for c in raw_clips()[a][:2])  # no 02, no silent
    for clip in clips:
        assert frame_codes(out / 'Frames-15' / clip) == EXPECTED_CODES
        rate, samples = read_wav(out / 'AudioWAV' / f'{clip}.wav')
        assert rate == 22050 and len(samples) == LENGTH
        voiced = samples[:int(22050 * 1.0)]
        assert abs(dominant_frequency(voiced, rate) - 440) < 5
        assert not samples[int(22050 * 1.3):].any()  # zero padding after the 1.2 s of audio


def test_speaker_independent_split_by_actor(converted):
    out = converted['out']
    actors = {}
    for split in ('train', 'val', 'test'):
        rows = [line.split(',') for line in (out / f'{split}.csv').read_text().splitlines()]
        for clip, emotion in rows:
            name = parse_clip_name(clip)
            assert emotion == ('happy' if name.emotion == 3 else 'surprised')
        actors[split] = {parse_clip_name(clip).actor for clip, _ in rows}
    assert actors == {'train': {9}, 'val': {5}, 'test': {1}}


def test_clip_without_audio_is_named_and_leaves_nothing(converted):
    out = converted['out']
    failures = (out / 'conversion_failures.tsv').read_text().splitlines()[1:]
    assert len(failures) == 1 and failures[0].startswith(f'{SILENT}\tno audio stream\t')
    assert not (out / 'Frames-15' / SILENT).exists()
    assert not (out / 'AudioWAV' / f'{SILENT}.wav').exists()
    assert not list(out.rglob('*.tmp-*'))


def test_rerun_skips_everything_and_verify_passes(converted, capsys):
    out = converted['out']
    before = snapshot(out / 'Frames-15') | snapshot(out / 'AudioWAV')
    assert convert(converted['raw'], out) == 0
    assert '6 already complete' in capsys.readouterr().out
    assert snapshot(out / 'Frames-15') | snapshot(out / 'AudioWAV') == before
    assert ravdess.main([str(converted['raw']), str(out), '--verify', '--no-progress']) == 0
    assert 'RAVDESS: layout OK' in capsys.readouterr().out


def test_verify_finds_a_broken_wav(converted, tmp_path, capsys):
    out = tmp_path / 'copy'
    shutil.copytree(converted['out'], out)
    wav = next((out / 'AudioWAV').iterdir())
    wav.write_bytes(wav.read_bytes()[:20])
    assert ravdess.main([str(converted['raw']), str(out), '--verify', '--no-progress']) == 1
    assert wav.name in capsys.readouterr().out


def test_missing_actor_zips_are_refused_by_name(converted, tmp_path, capsys):
    code = ravdess.main([str(converted['raw']), str(tmp_path / 'out'), '--no-progress'])
    assert code == 1
    err = capsys.readouterr().err
    assert 'Video_Speech_Actor_02.zip' in err and 'Video_Speech_Actor_24.zip' in err
    assert 'Video_Speech_Actor_01.zip' not in err
    assert not (tmp_path / 'out').exists()


def test_a_clip_in_the_wrong_actor_zip_is_refused(tmp_path, capsys):
    raw = tmp_path / 'zips'
    write_raw_ravdess(str(raw), {3: [clip_name(emotion=1, actor=4)]}, seconds=0.2,
                      size=(16, 16))
    assert convert(raw, tmp_path / 'out') == 1
    assert 'a clip of actor 04 in the zip of actor 03' in capsys.readouterr().err


def test_a_killed_run_resumes_to_the_same_outputs(converted, tmp_path):
    out = tmp_path / 'out'
    argv = [str(converted['raw']), str(out), '--frame-size', '32', '--allow-missing-actors',
            '--no-progress']
    killed = run_killed('ravdess', argv, kill_at=3)
    assert killed.returncode != 0
    assert convert(converted['raw'], out) == 0
    assert not list(out.rglob('*.tmp-*'))
    for clip in (p.name for p in (converted['out'] / 'Frames-15').iterdir()):
        assert frame_codes(out / 'Frames-15' / clip) == EXPECTED_CODES
        assert np.array_equal(read_wav(out / 'AudioWAV' / f'{clip}.wav')[1],
                              read_wav(converted['out'] / 'AudioWAV' / f'{clip}.wav')[1])
