"""Convert the official CREMA-D download into the layout ``CremaDDataset`` reads.

Input ``RAW_ROOT``: the CREMA-D repository as downloaded (its large files fetched with
``git lfs``), of which this reads

* ``VideoFlash/<clip>.flv`` -- the 7,442 videos, ``<clip>`` = ``<actor>_<sentence>_<EMO>_<level>``
  (e.g. ``1001_DFA_ANG_XX``; actors 1001-1091, emotions ANG DIS FEA HAP NEU SAD);
* ``AudioWAV/<clip>.wav`` -- the 16 kHz mono wavs of the same clips.

Output ``OUT_ROOT`` (e.g. ``data/CREMA-D``; may be ``RAW_ROOT`` itself):

* ``Image-01-FPS/<clip>/frame_00001.jpg ...`` -- the first frame of every second (t = 0, 1,
  2 s ...; see ``fdkd_mm.datasets.conversion.media``), JPEG quality 95, OpenCV's default that
  OGM-GE's CREMA-D frame script used;
* ``AudioWAV/<clip>.wav`` -- the download's wav, copied unchanged (the configs resample it to
  22,050 Hz on loading, as the public code's ``librosa.load(sr=22050)`` does); when it is
  missing or unreadable, the flv's audio track at 16 kHz mono instead (reported);
* ``train.csv`` / ``test.csv`` -- rows ``<clip>,<EMO>`` of the clips converted.

Splits: ``--split-files TRAIN TEST`` takes the public split files (OGM-GE's
``data/CREMAD/train.csv`` / ``test.csv``, 6,698 / 744 clips, which the paper's code base uses).
Without them a seeded speaker-independent split is written: ``--test-fraction`` of the 91
actors (default 0.1, i.e. 9 actors, ~740 clips), drawn with ``numpy.random.default_rng(seed)``;
its accuracies do not compare with the paper's.

Usage::

    python tools/dataset_converters/cremad.py CREMA-D data/CREMA-D \
        --split-files OGM-GE/data/CREMAD/train.csv OGM-GE/data/CREMAD/test.csv --workers 8
    python tools/dataset_converters/cremad.py CREMA-D data/CREMA-D --verify
"""
import argparse
import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from fdkd_mm.datasets.audio_visual.cremad import CREMAD_CLASSES, read_cremad_split
from fdkd_mm.datasets.audio_visual.file_checks import audio_file_problems, frame_dir_problems
from fdkd_mm.datasets.conversion.media import audio_track, frames_per_second
from fdkd_mm.datasets.conversion.outputs import copy_file, write_frames, write_wav
from fdkd_mm.datasets.conversion.runner import (CONVERTED, SKIPPED, ClipResult,
                                                add_common_arguments, run_conversion)
from fdkd_mm.datasets.conversion.verify import verify_layout

CLIP_NAME = re.compile(r'^(?P<actor>\d{4})_[A-Z]{3}_(?P<emotion>[A-Z]{3})_[A-Z0-9]{2}$')
FRAME_OFFSET = 0.0  # first frame of every second
JPEG_QUALITY = 95
WAV_RATE = 16000  # the rate of the download's own wavs
AUDIO_FROM_VIDEO = 'audio taken from the video (the wav of the download is missing or unreadable)'


@dataclass(frozen=True)
class Settings:
    """What every clip's conversion needs."""
    raw_root: Path
    out_root: Path
    jpeg_quality: int


def emotion_of(clip: str) -> Optional[str]:
    """The emotion code in a CREMA-D clip name, ``None`` if the name is not one."""
    match = CLIP_NAME.match(clip)
    return match['emotion'] if match and match['emotion'] in CREMAD_CLASSES else None


def convert_clip(settings: Settings, clip: str) -> ClipResult:
    """Write the frames and the wav of one clip; skip the outputs that are complete.

    Args:
        settings: Roots and JPEG quality.
        clip: The clip name.

    Returns:
        ``converted`` or ``skipped``; a failure raises ``ClipError``.
    """
    video = settings.raw_root / 'VideoFlash' / f'{clip}.flv'
    frame_dir = settings.out_root / 'Image-01-FPS' / clip
    wav = settings.out_root / 'AudioWAV' / f'{clip}.wav'
    status, notes = SKIPPED, ()
    if not frame_dir.is_dir():
        write_frames(frame_dir, frames_per_second(str(video), FRAME_OFFSET),
                     settings.jpeg_quality)
        status = CONVERTED
    source = settings.raw_root / 'AudioWAV' / f'{clip}.wav'
    in_place = wav.exists() and source.exists() and wav.samefile(source)
    if not wav.is_file():
        redo, source_bad = True, bool(audio_file_problems(str(source)))
    elif in_place:  # the output is the download's own wav: checked once, replaced if bad
        redo = source_bad = bool(audio_file_problems(str(wav)))
    else:  # a complete output of an earlier run
        redo = source_bad = False
    if redo:
        if source_bad:
            write_wav(wav, audio_track(str(video), WAV_RATE), WAV_RATE)
            notes = (AUDIO_FROM_VIDEO, )
        else:
            copy_file(source, wav)
        status = CONVERTED
    return ClipResult(clip, status, notes=notes)


def speaker_split(clips: Sequence[str], test_fraction: float, seed: int) -> tuple:
    """Split clips so that no actor is in both splits.

    Args:
        clips: Clip names.
        test_fraction: Share of the actors put in the test split.
        seed: Seed of ``numpy.random.default_rng``.

    Returns:
        ``(train_clips, test_clips, test_actors)``, clips in input order.
    """
    actors = sorted({CLIP_NAME.match(clip)['actor'] for clip in clips})
    if len(actors) < 2:
        raise ValueError(f'a speaker-independent split needs two actors or more, got {actors}')
    count = min(len(actors) - 1, max(1, round(test_fraction * len(actors))))
    test_actors = sorted(np.random.default_rng(seed).choice(actors, count, replace=False))
    in_test = {clip for clip in clips if CLIP_NAME.match(clip)['actor'] in test_actors}
    test = [clip for clip in clips if clip in in_test]
    train = [clip for clip in clips if clip not in in_test]
    return train, test, test_actors


def read_splits(args: argparse.Namespace, raw_root: Path) -> dict:
    """``{'train.csv': [(clip, EMO)], 'test.csv': [...]}`` from the files given or drawn."""
    if args.split_files:
        splits = {}
        for name, path in zip(('train.csv', 'test.csv'), args.split_files):
            rows = read_cremad_split(str(path))
            bad = [row for row in rows if row.class_name not in CREMAD_CLASSES]
            if bad:
                raise ValueError(f'{bad[0].source}:{bad[0].line_no}: emotion '
                                 f'{bad[0].class_name!r} is not one of {CREMAD_CLASSES}')
            splits[name] = [(row.clip_id, row.class_name) for row in rows]
        return splits
    video_dir = raw_root / 'VideoFlash'
    clips = sorted(path.stem for path in video_dir.glob('*.flv'))
    strays = [clip for clip in clips if emotion_of(clip) is None]
    if strays:
        print(f'ignoring {len(strays)} files in {video_dir} not named like a CREMA-D clip, '
              f'e.g. {strays[:3]}')
    clips = [clip for clip in clips if emotion_of(clip) is not None]
    if not clips:
        raise FileNotFoundError(f'no CREMA-D video (<actor>_<sentence>_<EMO>_<level>.flv) in '
                                f'{video_dir}')
    train, test, test_actors = speaker_split(clips, args.test_fraction, args.seed)
    print(f'warning: no --split-files given: writing a speaker-independent split (seed '
          f'{args.seed}; test actors {", ".join(test_actors)}). Accuracies on it do not compare '
          'with the paper\'s, which uses the public OGM-GE split files '
          '(docs/data_preparation.md).', file=sys.stderr)
    return {'train.csv': [(clip, emotion_of(clip)) for clip in train],
            'test.csv': [(clip, emotion_of(clip)) for clip in test]}


def verify(args: argparse.Namespace) -> int:
    """Check ``OUT_ROOT`` through ``CremaDDataset`` and print counts per split and class."""
    from fdkd_mm.datasets import CremaDDataset

    def builder(ann_file: str):
        return lambda: CremaDDataset(ann_file=ann_file, data_root=str(args.out_root),
                                     missing_files='error')

    def check(info: dict) -> list:
        return frame_dir_problems(info['frame_dir']) + audio_file_problems(info['audio_path'])

    return verify_layout('CREMA-D', {'train': builder('train.csv'), 'test': builder('test.csv')},
                         check, args.workers, not args.no_progress)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line (``argv`` without the program name; ``None``: ``sys.argv``)."""
    parser = argparse.ArgumentParser(
        description='Convert CREMA-D (VideoFlash/*.flv, AudioWAV/*.wav) to 1-fps frames, wavs '
                    'and split files.')
    parser.add_argument('raw_root', type=Path, help='the CREMA-D download')
    parser.add_argument('out_root', type=Path, help='output root, e.g. data/CREMA-D')
    parser.add_argument('--split-files', type=Path, nargs=2, metavar=('TRAIN', 'TEST'),
                        help='public split csvs (rows <clip>,<EMO>), e.g. OGM-GE\'s')
    parser.add_argument('--test-fraction', type=float, default=0.1,
                        help='without --split-files: share of actors in the test split')
    parser.add_argument('--seed', type=int, default=0,
                        help='without --split-files: seed of the actor draw')
    add_common_arguments(parser, JPEG_QUALITY)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Convert (or ``--verify``) from the command line.

    Returns:
        0 on success (failed clips are reported and left out), 1 when an input is missing or
        malformed, a split ends up empty, or ``--verify`` finds a problem.
    """
    args = parse_args(argv)
    if args.verify:
        return verify(args)
    try:
        if not (args.raw_root / 'VideoFlash').is_dir():
            raise FileNotFoundError(f'{args.raw_root / "VideoFlash"} not found: RAW_ROOT must be '
                                    'the CREMA-D download (VideoFlash/, AudioWAV/)')
        splits = read_splits(args, args.raw_root)
    except (FileNotFoundError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    settings = Settings(args.raw_root, args.out_root, args.jpeg_quality)
    clips = list(dict.fromkeys(clip for rows in splits.values() for clip, _ in rows))
    rows = {name: [(clip, f'{clip},{emotion}') for clip, emotion in split_rows]
            for name, split_rows in splits.items()}
    return run_conversion('CREMA-D', clips, functools.partial(convert_clip, settings), rows, args)


if __name__ == '__main__':
    from fdkd_mm.tool_errors import run_tool
    run_tool(main)
