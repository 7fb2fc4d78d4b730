"""Convert the official RAVDESS audio-visual speech zips into the layout ``RAVDESSDataset`` reads.

Input ``RAW_ROOT``: the folder holding the official per-actor downloads
``Video_Speech_Actor_01.zip`` ... ``Video_Speech_Actor_24.zip`` (Zenodo record 1188976), each
with ``Actor_NN/<clip>.mp4`` clips named ``modality-vocal-emotion-intensity-statement-
repetition-actor``. The full audio-visual speech clips (modality ``01``, vocal ``01``) are
converted; the video-only twins (``02``) are skipped, as every public RAVDESS preprocessing does.

Output ``OUT_ROOT`` (e.g. ``data/RAVDESS``), following MST-Distill's RAVDESS preprocessing
(itself that of Chumachenko et al.'s audio-visual emotion code):

* ``Frames-15/<clip>/frame_00001.jpg ... frame_00015.jpg`` -- 15 frames spread over the first
  3.6 s at 30 fps (108 frames): frame ``7 i + 3``, ``i = 0..14``, the middle of 15 equal
  segments; a shorter clip gets black frames for the missing ones (as their zero padding). Each
  frame is the centred square of the picture resized to ``--frame-size`` (224) -- they crop the
  face with an MTCNN detector, which needs detector weights this converter does not download;
  RAVDESS films one actor facing the camera in the centre of a plain background.
* ``AudioWAV/<clip>.wav`` -- the clip's audio track, 22,050 Hz mono 16-bit (their
  ``librosa.load(sr=22050)``), centre-cropped or zero-padded at the end to 3.6 s (79,380
  samples). They read the audio-only twins (``03-...wav``, a separate download); the track of
  the audio-visual mp4 is the same take.
* ``train.csv`` / ``val.csv`` / ``test.csv`` -- rows ``<clip>,<emotion>`` (``neutral`` ...
  ``surprised``).

Split (speaker-independent, by actor): ``--protocol chumachenko`` (the default) is fold 1 of
Chumachenko et al.'s ``create_annotations.py``, whose preprocessing MST-Distill's RAVDESS scripts
reuse: actors 01-04 test, 05-08 validation, 09-24 train (their list is in directory order; here
actor numbers are sorted). MST-Distill itself draws random splits of all 1,440 samples from its
own index file (not speaker-independent), which this converter does not reproduce.

A missing actor zip is an error (the split would silently change) unless
``--allow-missing-actors``; a clip without an audio stream, or that does not decode, is
reported by name and left out; outputs are written atomically, so a rerun resumes.

Usage::

    python tools/dataset_converters/ravdess.py RAVDESS-zips data/RAVDESS --workers 8
    python tools/dataset_converters/ravdess.py RAVDESS-zips data/RAVDESS --verify
"""
import argparse
import functools
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from fdkd_mm.datasets.audio_visual.file_checks import audio_file_problems, frame_dir_problems
from fdkd_mm.datasets.audio_visual.ravdess import NUM_ACTORS, parse_clip_name
from fdkd_mm.datasets.conversion.frame_indices import (crop_or_pad, frames_at_indices,
                                                       spread_indices)
from fdkd_mm.datasets.conversion.media import audio_track
from fdkd_mm.datasets.conversion.outputs import write_frames, write_wav
from fdkd_mm.datasets.conversion.runner import (CONVERTED, SKIPPED, ClipResult,
                                                add_common_arguments, run_conversion)
from fdkd_mm.datasets.conversion.verify import verify_layout

ZIP_NAME = re.compile(r'^Video_Speech_Actor_(?P<actor>\d{2})\.zip$')
SECONDS = 3.6
SAMPLE_RATE = 22050
SOURCE_FPS = 30  # RAVDESS is filmed at 29.97 fps; the public scripts count frames at 30
NUM_FRAMES = 15
FRAME_INDICES = spread_indices(NUM_FRAMES, int(round(SECONDS * SOURCE_FPS)))
JPEG_QUALITY = 95
FRAME_SIZE = 224
#: Speaker-independent protocols: split -> actors.
PROTOCOLS = dict(chumachenko=dict(test=range(1, 5), val=range(5, 9), train=range(9, 25)))
PADDED = 'clip shorter than 3.6 s: missing frames are black'


@dataclass(frozen=True)
class Settings:
    """What every clip's conversion needs."""
    out_root: Path
    jpeg_quality: int
    frame_size: int


def square_resize(rgb: np.ndarray, size: int) -> np.ndarray:
    """The centred square of a frame, resized to ``size`` x ``size`` (bilinear)."""
    height, width = rgb.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return cv2.resize(np.ascontiguousarray(rgb[top:top + side, left:left + side]),
                      (size, size), interpolation=cv2.INTER_LINEAR)


def convert_clip(settings: Settings, item: tuple) -> ClipResult:
    """Write the 15 frames and the 3.6 s wav of one clip; skip the outputs that are complete.

    Args:
        settings: Output root, JPEG quality, frame size.
        item: ``(clip, zip path, member name)``.

    Returns:
        ``converted`` or ``skipped``; a failure raises ``ClipError`` (nothing is written).
    """
    clip, archive, member = item
    frame_dir = settings.out_root / 'Frames-15' / clip
    wav = settings.out_root / 'AudioWAV' / f'{clip}.wav'
    if frame_dir.is_dir() and wav.is_file():
        return ClipResult(clip, SKIPPED)
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / f'{clip}.mp4'
        with zipfile.ZipFile(archive) as zf, zf.open(member) as src, open(video, 'wb') as dst:
            shutil.copyfileobj(src, dst)
        # Both decoded before anything is written: a clip without audio leaves nothing behind.
        samples = crop_or_pad(audio_track(str(video), SAMPLE_RATE),
                              int(SAMPLE_RATE * SECONDS))
        frames, _ = frames_at_indices(str(video), FRAME_INDICES)
    notes = ()
    kept = [square_resize(frame, settings.frame_size) for frame in frames if frame is not None]
    if len(kept) < len(frames):
        notes = (PADDED, )
        black = np.zeros((settings.frame_size, settings.frame_size, 3), np.uint8)
        kept += [black] * (len(frames) - len(kept))
    if not frame_dir.is_dir():
        write_frames(frame_dir, kept, settings.jpeg_quality)
    if not wav.is_file():
        write_wav(wav, samples, SAMPLE_RATE)
    return ClipResult(clip, CONVERTED, notes=notes)


def find_clips(raw_root: Path, allow_missing: bool) -> tuple[list[tuple], list[str]]:
    """The audio-visual speech clips in the actor zips, and remarks on what was left out.

    Args:
        raw_root: Folder of the ``Video_Speech_Actor_NN.zip`` files.
        allow_missing: Go on when actor zips are missing.

    Returns:
        ``([(clip, zip path, member)] sorted by clip, remarks)``.

    Raises:
        FileNotFoundError: No actor zip, or (without ``allow_missing``) some are missing.
        ValueError: A zip is not a zip file, or holds a clip of another actor.
    """
    zips = {int(m['actor']): path for path in sorted(raw_root.iterdir())
            if (m := ZIP_NAME.match(path.name))}
    missing = [f'Video_Speech_Actor_{a:02d}.zip' for a in range(1, NUM_ACTORS + 1)
               if a not in zips]
    if not zips:
        raise FileNotFoundError(f'no Video_Speech_Actor_NN.zip in {raw_root}')
    if missing and not allow_missing:
        raise FileNotFoundError(f'{len(missing)} actor zip(s) missing from {raw_root}: '
                                f'{", ".join(missing)} (--allow-missing-actors goes on '
                                'without them; the split then lacks those actors)')
    clips, remarks, other = [], [], 0
    for actor, path in sorted(zips.items()):
        try:
            with zipfile.ZipFile(path) as zf:
                members = [info.filename for info in zf.infolist() if not info.is_dir()]
        except zipfile.BadZipFile as error:
            raise ValueError(f'{path}: not a readable zip file ({error})') from error
        for member in members:
            stem, suffix = Path(member).stem, Path(member).suffix.lower()
            name = parse_clip_name(stem)
            if suffix != '.mp4' or name is None:
                remarks.append(f'{path.name}:{member}: not a RAVDESS clip name, ignored')
                continue
            if name.actor != actor:
                raise ValueError(f'{path.name}:{member}: a clip of actor {name.actor:02d} in '
                                 f'the zip of actor {actor:02d}')
            if name.modality != 1 or name.vocal != 1:
                other += 1  # video-only twins (and song clips, if any)
                continue
            clips.append((stem, str(path), member))
    if missing:
        remarks.append(f'actors missing: {", ".join(missing)}')
    if other:
        remarks.append(f'{other} video-only or song clips skipped (only full-AV speech is used)')
    return sorted(clips), remarks


def split_rows(clips: Sequence[tuple], protocol: str) -> dict:
    """``{'train.csv': [(clip, line)], 'val.csv': ..., 'test.csv': ...}`` by actor."""
    rows = {f'{split}.csv': [] for split in ('train', 'val', 'test')}
    for clip, _, _ in clips:
        name = parse_clip_name(clip)
        split = next(s for s, actors in PROTOCOLS[protocol].items() if name.actor in actors)
        rows[f'{split}.csv'].append((clip, f'{clip},{name.label_name}'))
    return rows


def verify(args: argparse.Namespace) -> int:
    """Check ``OUT_ROOT`` through ``RAVDESSDataset`` and print counts per split and class."""
    from fdkd_mm.datasets import RAVDESSDataset

    def builder(ann_file: str):
        return lambda: RAVDESSDataset(ann_file=ann_file, data_root=str(args.out_root),
                                      missing_files='error')

    def check(info: dict) -> list:
        problems = frame_dir_problems(info['frame_dir'])
        problems += audio_file_problems(info['audio_path'], SAMPLE_RATE)
        frames = sorted(Path(info['frame_dir']).glob('*.jpg'))
        if len(frames) != NUM_FRAMES:
            problems.append(f'{info["frame_dir"]}: {len(frames)} frames, expected {NUM_FRAMES}')
        return problems

    return verify_layout('RAVDESS', {split: builder(f'{split}.csv')
                                     for split in ('train', 'val', 'test')},
                         check, args.workers, not args.no_progress)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line (``argv`` without the program name; ``None``: ``sys.argv``)."""
    parser = argparse.ArgumentParser(
        description='Convert the RAVDESS Video_Speech_Actor_NN.zip downloads to 15 frames and '
                    'a 3.6 s wav per clip, with speaker-independent split files.')
    parser.add_argument('raw_root', type=Path, help='folder of the Video_Speech_Actor_NN.zip')
    parser.add_argument('out_root', type=Path, help='output root, e.g. data/RAVDESS')
    parser.add_argument('--protocol', choices=sorted(PROTOCOLS), default='chumachenko',
                        help='actor split (default: chumachenko, actors 1-4 test, 5-8 val)')
    parser.add_argument('--frame-size', type=int, default=FRAME_SIZE,
                        help=f'side of the saved square frames (default {FRAME_SIZE})')
    parser.add_argument('--allow-missing-actors', action='store_true',
                        help='convert the actor zips present when some are missing')
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
        if not args.raw_root.is_dir():
            raise FileNotFoundError(f'{args.raw_root} is not a folder (RAW_ROOT holds the '
                                    'Video_Speech_Actor_NN.zip downloads)')
        clips, remarks = find_clips(args.raw_root, args.allow_missing_actors)
    except (FileNotFoundError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    for remark in remarks:
        print(remark)
    settings = Settings(args.out_root, args.jpeg_quality, args.frame_size)
    return run_conversion('RAVDESS', clips, functools.partial(convert_clip, settings),
                          split_rows(clips, args.protocol), args)


if __name__ == '__main__':
    sys.exit(main())
