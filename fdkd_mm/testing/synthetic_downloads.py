"""Tiny copies of the official CREMA-D / AVE / VGGSound downloads, made of real media files.

What ``tools/dataset_converters/{cremad,ave,vggsound}.py`` read: flv (CREMA-D) and mp4 (AVE,
VGGSound) videos written with PyAV (:mod:`fdkd_mm.testing.synthetic_video`: frames coded with
their index, a sine track of the class's :func:`tone_frequency`), CREMA-D's 16 kHz wavs, and the
split / annotation files in their official syntax. Needs PyAV.
"""
import csv
from pathlib import Path
from typing import Sequence

import numpy as np

from fdkd_mm.datasets.audio_visual.cremad import CREMAD_CLASSES
from .synthetic_audio_visual import AVE_NAMES, VGGSOUND_NAMES, tone_frequency, write_wav
from .synthetic_video import write_video

CREMAD_WAV_RATE = 16000


def write_raw_cremad(root: str, actors: Sequence[int] = (1001, 1002),
                     emotions: Sequence[str] = ('ANG', 'HAP'), seconds: float = 2.5,
                     fps: int = 10, size: tuple[int, int] = (48, 64)) -> list[str]:
    """Write ``VideoFlash/<clip>.flv`` (Sorenson H.263 + mp3, 44.1 kHz) and ``AudioWAV/``.

    The wav of a clip is a 16 kHz tone at ``tone_frequency(emotion index)``; the flv's audio
    is the same tone an octave lower, so a test can tell which source a converter used.

    Args:
        root: The download's folder.
        actors: Actor ids (CREMA-D: 1001-1091).
        emotions: Emotion codes.
        seconds: Clip length.
        fps: Video frame rate.
        size: (height, width) of the video.

    Returns:
        The clip names ``<actor>_IEO_<EMO>_XX``, actor-major.
    """
    root = Path(root)
    (root / 'VideoFlash').mkdir(parents=True, exist_ok=True)
    clips = []
    for actor in actors:
        for emotion in emotions:
            clip = f'{actor}_IEO_{emotion}_XX'
            tone = tone_frequency(CREMAD_CLASSES.index(emotion))
            write_video(root / 'VideoFlash' / f'{clip}.flv', seconds, fps, size,
                        video_codec='flv', audio_codec='mp3', tone_hz=tone / 2)
            time = np.arange(int(seconds * CREMAD_WAV_RATE)) / CREMAD_WAV_RATE
            write_wav(str(root / 'AudioWAV' / f'{clip}.wav'),
                      0.5 * np.sin(2 * np.pi * tone * time), CREMAD_WAV_RATE)
            clips.append(clip)
    return clips


def _youtube_ids(count: int, seed: int) -> list[str]:
    alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    rng = np.random.default_rng(seed)
    return [''.join(alphabet[i] for i in rng.integers(0, len(alphabet), 11))
            for _ in range(count)]


def write_raw_ave(root: str, clips_per_split: Sequence[int] = (2, 1, 1),
                  categories: Sequence[str] = AVE_NAMES[:2], seconds: float = 3.0,
                  fps: int = 10, size: tuple[int, int] = (48, 64),
                  seed: int = 0) -> dict[str, list[tuple[str, str]]]:
    """Write ``AVE/<VideoID>.mp4`` (H.264 + AAC), ``Annotations.txt`` and the split files.

    Args:
        root: The ``AVE_Dataset`` folder.
        clips_per_split: Videos in (train, val, test), cycling through ``categories``.
        categories: Category names (may contain commas, as real ones do).
        seconds: Video length (the real videos are 10 s).
        fps: Video frame rate.
        size: (height, width).
        seed: Seed of the video ids.

    Returns:
        ``{'train'|'val'|'test': [(video_id, category), ...]}``.
    """
    root = Path(root)
    (root / 'AVE').mkdir(parents=True, exist_ok=True)
    ids = iter(_youtube_ids(sum(clips_per_split), seed))
    splits, annotations = {}, ['Category&VideoID&Quality&StartTime&EndTime']
    for split, count in zip(('train', 'val', 'test'), clips_per_split):
        rows = []
        for index in range(count):
            video, category = next(ids), categories[index % len(categories)]
            write_video(root / 'AVE' / f'{video}.mp4', seconds, fps, size,
                        tone_hz=tone_frequency(list(categories).index(category)))
            rows.append((video, category))
            annotations.append(f'{category}&{video}&good&0&{int(seconds)}')
        (root / f'{split}Set.txt').write_text(
            ''.join(f'{category}&{video}&good&0&{int(seconds)}\n' for video, category in rows))
        splits[split] = rows
    (root / 'Annotations.txt').write_text('\n'.join(annotations) + '\n')
    return splits


def write_raw_vggsound(root: str, clips_per_split: Sequence[int] = (2, 1),
                       labels: Sequence[str] = VGGSOUND_NAMES[:2], seconds: float = 3.0,
                       fps: int = 10, size: tuple[int, int] = (48, 64),
                       seed: int = 0) -> list[tuple[str, int, str, str]]:
    """Write ``vggsound.csv`` (4 columns) and ``video/<ytid>_<start:06d>.mp4`` clips.

    Args:
        root: The download's folder.
        clips_per_split: Clips in (train, test), cycling through ``labels``.
        labels: Class labels (may contain commas: the csv quotes them).
        seconds: Clip length (the real clips are 10 s).
        fps: Video frame rate.
        size: (height, width).
        seed: Seed of ids and start seconds.

    Returns:
        The csv rows ``(ytid, start, label, split)``.
    """
    root = Path(root)
    (root / 'video').mkdir(parents=True, exist_ok=True)
    ids = _youtube_ids(sum(clips_per_split), seed)
    starts = np.random.default_rng(seed + 1).integers(0, 300, len(ids))
    rows, position = [], 0
    for split, count in zip(('train', 'test'), clips_per_split):
        for index in range(count):
            ytid, start = ids[position], int(starts[position])
            label = labels[index % len(labels)]
            write_video(root / 'video' / f'{ytid}_{start:06d}.mp4', seconds, fps, size,
                        tone_hz=tone_frequency(list(labels).index(label)))
            rows.append((ytid, start, label, split))
            position += 1
    with open(root / 'vggsound.csv', 'w', newline='') as f:
        csv.writer(f).writerows(rows)
    return rows
