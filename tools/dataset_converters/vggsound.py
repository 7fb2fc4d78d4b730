"""Convert VGGSound clips (the user's own mp4 downloads) into the layout ``VGGSoundDataset`` reads.

VGGSound is distributed as a list, ``vggsound.csv`` (rows ``<ytid>,<start>,<label>,<split>``);
every user fetches the ten-second clips from YouTube, and some are always gone.

Input ``RAW_ROOT``: a folder (searched recursively) of the clips, named
``<ytid>_<start:06d>.mp4`` as in the released VGGSound video archives (``<ytid>_<start>.mp4``
without zero padding is found too). Rows come from

* ``--split-files TRAIN TEST``: one csv per split, in 3 (``<ytid>,<start>,<label>``) or 4
  columns (a split column, ignored: the file says the split), e.g. C2KD's ``train_tiny.csv`` /
  ``test_tiny.csv`` (in its ``vggsound/datasplit.zip``; 4 columns, 25,835 / 2,500 rows), which
  define the paper's 50-class subset; or
* ``--csv vggsound.csv`` (default ``RAW_ROOT/vggsound.csv``): the official list, split by its
  fourth column;

and ``--classes FILE`` (one label per line) keeps the rows of those classes only.

Output ``OUT_ROOT`` (e.g. ``data/VGGSound``), per split ``S`` in ``train`` / ``test``:

* ``S-videos/S-set-img/Image-01-FPS/<clip>.mp4/frame_00001.jpg ...`` -- the first frame of
  every second (t = 0, 1, ... s; see ``fdkd_mm.datasets.conversion.media``), as OGM-GE's
  VGGSound frame script keeps, JPEG quality 95 (OpenCV's default, which that script used);
* ``S-audios/S-set/<clip>.wav`` -- the audio track at 16 kHz (the rate the configs load),
  mono 16-bit;
* ``S.csv`` -- rows ``<ytid>,<start>,<label>`` of the clips converted. Rows whose clip is missing
  or does not decode are dropped and counted.

Usage::

    python tools/dataset_converters/vggsound.py vggsound_clips data/VGGSound \
        --split-files C2KD/vggsound/train_tiny.csv C2KD/vggsound/test_tiny.csv --workers 8
    python tools/dataset_converters/vggsound.py vggsound_clips data/VGGSound --verify
"""
import argparse
import csv
import functools
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from fdkd_mm.datasets.audio_visual.base import ClipRow
from fdkd_mm.datasets.audio_visual.file_checks import audio_file_problems, frame_dir_problems
from fdkd_mm.datasets.audio_visual.vggsound import read_vggsound_csv, vggsound_clip_id
from fdkd_mm.datasets.conversion.media import MISSING, ClipError, audio_track, frames_per_second
from fdkd_mm.datasets.conversion.outputs import write_frames, write_wav
from fdkd_mm.datasets.conversion.runner import (CONVERTED, SKIPPED, ClipResult,
                                                add_common_arguments, run_conversion)
from fdkd_mm.datasets.conversion.verify import verify_layout

SPLITS = ('train', 'test')
FRAME_OFFSET = 0.0  # first frame of every second
JPEG_QUALITY = 95
WAV_RATE = 16000


def audio_dir(split: str) -> str:
    """Folder of a split's wavs, relative to ``OUT_ROOT``."""
    return f'{split}-audios/{split}-set'


def frame_root(split: str) -> str:
    """Folder of a split's frame folders, relative to ``OUT_ROOT``."""
    return f'{split}-videos/{split}-set-img/Image-01-FPS'


@dataclass(frozen=True)
class Settings:
    """What every clip's conversion needs."""
    out_root: Path
    jpeg_quality: int


def convert_clip(settings: Settings, item: tuple) -> ClipResult:
    """Write the frames and the wav of one clip; skip complete outputs.

    Args:
        settings: Output root and JPEG quality.
        item: ``(clip_id, video path or None when no file was found, split)``.

    Returns:
        ``converted`` or ``skipped``; a failure raises ``ClipError``.
    """
    clip, video, split = item
    if video is None:
        raise ClipError(MISSING, f'no {clip}.mp4 under RAW_ROOT')
    frame_dir = settings.out_root / frame_root(split) / f'{clip}.mp4'
    wav = settings.out_root / audio_dir(split) / f'{clip}.wav'
    status = SKIPPED
    if not frame_dir.is_dir():
        write_frames(frame_dir, frames_per_second(video, FRAME_OFFSET), settings.jpeg_quality)
        status = CONVERTED
    if not wav.is_file():
        write_wav(wav, audio_track(video, WAV_RATE), WAV_RATE)
        status = CONVERTED
    return ClipResult(clip, status)


def index_videos(raw_root: Path) -> dict[str, str]:
    """Clip id → path of every ``.mp4`` under ``raw_root`` (unpadded starts normalised)."""
    found = {}
    for folder, _, names in os.walk(raw_root):
        for name in names:
            if not name.lower().endswith('.mp4'):
                continue
            stem = name[:-4]
            ytid, _, start = stem.rpartition('_')
            clip = vggsound_clip_id(ytid, start) if ytid and start.isdigit() else stem
            found.setdefault(clip, os.path.join(folder, name))
    return found


def csv_line(row: ClipRow) -> str:
    """The 3-column csv line of a row (labels with commas quoted)."""
    ytid, start = row.clip_id[:-7], int(row.clip_id[-6:])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator='').writerow([ytid, start, row.class_name])
    return buffer.getvalue()


def read_rows(args: argparse.Namespace) -> dict[str, list[ClipRow]]:
    """The rows of each split, from the split files or the full csv, class-filtered."""
    if args.split_files:
        splits = {split: read_vggsound_csv(str(path))[0]
                  for split, path in zip(SPLITS, args.split_files)}
    else:
        path = args.csv or args.raw_root / 'vggsound.csv'
        if not path.is_file():
            raise FileNotFoundError(f'{path} not found: give --csv vggsound.csv or --split-files')
        rows, width = read_vggsound_csv(str(path))
        if width != 4:
            raise ValueError(f'{path} has no split column (4th); give --split-files instead')
        splits = {split: [row for row in rows if row.split == split] for split in SPLITS}
    if args.classes:
        wanted = [line.strip() for line in args.classes.read_text(encoding='utf-8').splitlines()
                  if line.strip()]
        known = {row.class_name for rows in splits.values() for row in rows}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise ValueError(f'{args.classes}: classes {unknown} are in no row of the csv '
                             '(misspelt?)')
        keep = set(wanted)
        splits = {split: [row for row in rows if row.class_name in keep]
                  for split, rows in splits.items()}
    for split, rows in splits.items():
        print(f'{split}: {len(rows)} rows of {len({row.class_name for row in rows})} classes')
    return splits


def verify(args: argparse.Namespace) -> int:
    """Check ``OUT_ROOT`` through ``VGGSoundDataset`` and print counts per split and class."""
    from fdkd_mm.datasets import VGGSoundDataset

    def builder(split: str):
        return lambda: VGGSoundDataset(
            ann_file=f'{split}.csv', data_root=str(args.out_root),
            class_files=('train.csv', 'test.csv'), missing_files='error',
            data_prefix=dict(audio=audio_dir(split), visual=frame_root(split)))

    def check(info: dict) -> list:
        return (frame_dir_problems(info['frame_dir'])
                + audio_file_problems(info['audio_path'], sample_rate=WAV_RATE))

    return verify_layout('VGGSound', {split: builder(split) for split in SPLITS}, check,
                         args.workers, not args.no_progress)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line (``argv`` without the program name; ``None``: ``sys.argv``)."""
    parser = argparse.ArgumentParser(
        description='Convert VGGSound mp4 clips to 1-fps frames, 16 kHz wavs and split csvs.')
    parser.add_argument('raw_root', type=Path, help='folder of the <ytid>_<start>.mp4 clips')
    parser.add_argument('out_root', type=Path, help='output root, e.g. data/VGGSound')
    parser.add_argument('--split-files', type=Path, nargs=2, metavar=('TRAIN', 'TEST'),
                        help='one csv per split, e.g. C2KD\'s train_tiny.csv test_tiny.csv')
    parser.add_argument('--csv', type=Path,
                        help='the official 4-column vggsound.csv (default RAW_ROOT/vggsound.csv)')
    parser.add_argument('--classes', type=Path,
                        help='keep only the classes listed in this file (one per line)')
    add_common_arguments(parser, JPEG_QUALITY)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Convert (or ``--verify``) from the command line.

    Returns:
        0 on success (missing and failed clips are reported and left out), 1 when an input is
        missing or malformed, a split ends up empty, or ``--verify`` finds a problem.
    """
    args = parse_args(argv)
    if args.verify:
        return verify(args)
    try:
        if not args.raw_root.is_dir():
            raise FileNotFoundError(f'RAW_ROOT {args.raw_root} is not a folder')
        splits = read_rows(args)
    except (FileNotFoundError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    videos = index_videos(args.raw_root)
    items, kept, seen = [], {split: [] for split in splits}, set()
    for split, rows in splits.items():
        for row in rows:
            if row.clip_id in seen:
                continue  # listed twice: converted once, kept in the first split listing it
            seen.add(row.clip_id)
            kept[split].append(row)
            items.append((row.clip_id, videos.get(row.clip_id), split))
    repeated = sum(len(rows) for rows in splits.values()) - len(items)
    if repeated:
        print(f'{repeated} repeated rows ignored (first one kept)')
    lines = {f'{split}.csv': [(row.clip_id, csv_line(row)) for row in rows]
             for split, rows in kept.items()}
    settings = Settings(args.out_root, args.jpeg_quality)
    return run_conversion('VGGSound', items, functools.partial(convert_clip, settings), lines,
                          args)


if __name__ == '__main__':
    from fdkd_mm.tool_errors import run_tool
    run_tool(main)
