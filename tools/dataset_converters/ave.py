"""Convert the official AVE download into the layout ``AVEDataset`` reads.

Input ``RAW_ROOT``: the extracted ``AVE_Dataset`` folder of the official release, with
``AVE/<VideoID>.mp4`` (4,143 ten-second videos) and the split files ``trainSet.txt`` /
``valSet.txt`` / ``testSet.txt`` (rows ``Category&VideoID&Quality&Start&End``).

Output ``OUT_ROOT`` (e.g. ``data/AVE_Dataset``; not ``RAW_ROOT``, whose split files would be
replaced by ones without the failed videos):

* ``Image-01-FPS-SE/<VideoID>/frame_00001.jpg ...`` -- the middle frame of every second
  (t = 0.5, 1.5, ... s: ten frames for a 10 s video; see ``fdkd_mm.datasets.conversion.media``),
  JPEG quality 75, the default of ``imageio.imsave`` that OGM-GE's AVE frame script used;
* ``AudioWAV/<VideoID>.wav`` -- the audio track, 16 kHz mono 16-bit, as OGM-GE's
  ``ffmpeg -ac 1 -ar 16000 -acodec pcm_s16le`` (usable with ``audio_suffix='.wav'`` and
  ``data_prefix=dict(audio='AudioWAV')``);
* ``Audio-1004-SE/<VideoID>.npy`` -- the spectrogram the configs read (``AVEDataset`` takes a
  clip's ``.npy`` before its ``.pkl``; ``.npy`` holds no pickled objects, so reading it runs no
  code from the file), made from that wav as OGM-GE's ``obtain_audio_spectrogram.py`` makes the
  public pickles: load at 22,050 Hz (librosa's default rate; resampled here with
  ``scipy.signal.resample_poly``), tile the waveform to 160,000 samples, clip to [-1, 1],
  ``scipy.signal.spectrogram(x, 22050, nperseg=512, noverlap=353)`` (Tukey(0.25) window, hop
  159, power spectral density), ``log(S + 1e-7)``, standardise by the clip's mean and std
  (+1e-9): a float32 array of shape (257, 1004);
* ``trainSet.txt`` / ``valSet.txt`` / ``testSet.txt`` -- the split files, without the rows of
  videos that failed.

Usage::

    python tools/dataset_converters/ave.py AVE_Dataset data/AVE_Dataset --workers 8
    python tools/dataset_converters/ave.py AVE_Dataset data/AVE_Dataset --verify
"""
import argparse
import functools
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from scipy import signal
from scipy.io import wavfile

from fdkd_mm.datasets.audio_visual.ave import AVE_SPLIT_FILES, read_ave_split
from fdkd_mm.datasets.audio_visual.file_checks import audio_file_problems, frame_dir_problems
from fdkd_mm.datasets.conversion.media import audio_track, frames_per_second
from fdkd_mm.datasets.conversion.outputs import write_frames, write_npy, write_wav
from fdkd_mm.datasets.conversion.runner import (CONVERTED, SKIPPED, ClipResult,
                                                add_common_arguments, run_conversion)
from fdkd_mm.datasets.conversion.verify import verify_layout
from fdkd_mm.datasets.transforms.audio import pcm_to_float, resample

FRAME_OFFSET = 0.5  # the middle frame of every second
JPEG_QUALITY = 75
WAV_RATE = 16000
SPEC_RATE = 22050
SPEC_SAMPLES = 160000
SPEC_NPERSEG, SPEC_NOVERLAP = 512, 353
SPEC_SHAPE = (257, 1004)  # 1 + 512 // 2 bins, 1 + (160000 - 512) // 159 frames
FRAMES, WAVS, SPECS = 'Image-01-FPS-SE', 'AudioWAV', 'Audio-1004-SE'


@dataclass(frozen=True)
class Settings:
    """What every video's conversion needs."""
    video_dir: Path
    out_root: Path
    jpeg_quality: int


def spectrogram(samples: np.ndarray, rate: int) -> np.ndarray:
    """The public AVE spectrogram of a waveform (see the module docs).

    Args:
        samples: int16 PCM (or float in [-1, 1]), mono.
        rate: Its sample rate.

    Returns:
        float32 array of shape (257, 1004), standardised.
    """
    wave = resample(pcm_to_float(np.asarray(samples)), rate, SPEC_RATE)
    wave = np.clip(np.tile(wave, math.ceil(SPEC_SAMPLES / len(wave)))[:SPEC_SAMPLES], -1, 1)
    _, _, power = signal.spectrogram(wave, SPEC_RATE, nperseg=SPEC_NPERSEG,
                                     noverlap=SPEC_NOVERLAP)
    spec = np.log(power + 1e-7)
    return ((spec - spec.mean()) / (spec.std() + 1e-9)).astype(np.float32)


def convert_video(settings: Settings, video_id: str) -> ClipResult:
    """Write the frames, the wav and the spectrogram of one video; skip complete outputs.

    Args:
        settings: Folders and JPEG quality.
        video_id: The AVE video id.

    Returns:
        ``converted`` or ``skipped``; a failure raises ``ClipError``.
    """
    video = settings.video_dir / f'{video_id}.mp4'
    frame_dir = settings.out_root / FRAMES / video_id
    wav = settings.out_root / WAVS / f'{video_id}.wav'
    spec_path = settings.out_root / SPECS / f'{video_id}.npy'
    status = SKIPPED
    if not frame_dir.is_dir():
        write_frames(frame_dir, frames_per_second(str(video), FRAME_OFFSET),
                     settings.jpeg_quality)
        status = CONVERTED
    samples = None
    if not wav.is_file():
        samples = audio_track(str(video), WAV_RATE)
        write_wav(wav, samples, WAV_RATE)
        status = CONVERTED
    if not spec_path.is_file():
        if samples is None:  # the wav of an earlier, interrupted run
            _, samples = wavfile.read(wav)
        write_npy(spec_path, spectrogram(samples, WAV_RATE))
        status = CONVERTED
    return ClipResult(video_id, status)


def read_splits(raw_root: Path) -> dict:
    """``{split file: [(video_id, line)]}`` of the three official split files."""
    splits = {}
    for name in AVE_SPLIT_FILES:
        path = raw_root / name
        if not path.is_file():
            raise FileNotFoundError(f'{path} not found: RAW_ROOT must be the AVE_Dataset folder '
                                    f'of the official download ({", ".join(AVE_SPLIT_FILES)}, '
                                    'AVE/*.mp4)')
        lines = path.read_text(encoding='utf-8-sig').splitlines()
        splits[name] = [(row.clip_id, lines[row.line_no - 1].rstrip('\r'))
                        for row in read_ave_split(str(path))]
    return splits


def verify(args: argparse.Namespace) -> int:
    """Check ``OUT_ROOT`` through ``AVEDataset`` and print counts per split and class."""
    from fdkd_mm.datasets import AVEDataset

    def builder(ann_file: str):
        return lambda: AVEDataset(ann_file=ann_file, data_root=str(args.out_root),
                                  missing_files='error')

    def check(info: dict) -> list:
        wav = args.out_root / WAVS / f'{info["clip_id"]}.wav'
        return (frame_dir_problems(info['frame_dir'])
                + audio_file_problems(info['audio_path'], spectrogram_shape=SPEC_SHAPE)
                + audio_file_problems(str(wav), sample_rate=WAV_RATE))

    builders = {name[:-len('Set.txt')]: builder(name) for name in AVE_SPLIT_FILES}
    return verify_layout('AVE', builders, check, args.workers, not args.no_progress)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line (``argv`` without the program name; ``None``: ``sys.argv``)."""
    parser = argparse.ArgumentParser(
        description='Convert AVE (AVE/*.mp4 + split files) to 1-fps frames, 16 kHz wavs and '
                    '(257, 1004) spectrograms (.npy).')
    parser.add_argument('raw_root', type=Path, help='the AVE_Dataset folder of the download')
    parser.add_argument('out_root', type=Path, help='output root, e.g. data/AVE_Dataset')
    parser.add_argument('--video-dir', type=Path,
                        help='folder of the mp4 videos (default RAW_ROOT/AVE)')
    add_common_arguments(parser, JPEG_QUALITY)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Convert (or ``--verify``) from the command line.

    Returns:
        0 on success (failed videos are reported and left out), 1 when an input is missing or
        malformed, a split ends up empty, or ``--verify`` finds a problem.
    """
    args = parse_args(argv)
    if args.verify:
        return verify(args)
    video_dir = args.video_dir or args.raw_root / 'AVE'
    try:
        if args.out_root.resolve() == args.raw_root.resolve():
            raise ValueError('OUT_ROOT must differ from RAW_ROOT: the split files written there '
                             'leave out failed videos and would replace the official ones')
        splits = read_splits(args.raw_root)
        if not video_dir.is_dir():
            raise FileNotFoundError(f'video folder {video_dir} not found (--video-dir)')
    except (FileNotFoundError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    videos = list(dict.fromkeys(video for rows in splits.values() for video, _ in rows))
    settings = Settings(video_dir, args.out_root, args.jpeg_quality)
    return run_conversion('AVE', videos, functools.partial(convert_video, settings), splits,
                          args)


if __name__ == '__main__':
    from fdkd_mm.tool_errors import run_tool
    run_tool(main)
