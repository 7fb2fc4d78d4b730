"""RAVDESS in its two on-disk forms, small: the converted layout (for configs) and the official
per-actor zips of audio-visual mp4 clips (for the converter)."""
import os.path as osp
import zipfile
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from fdkd_mm.datasets.audio_visual.ravdess import RAVDESS_CLASSES
from .synthetic_audio_visual import _options, _write_clip


def clip_name(emotion: int, actor: int, modality: int = 1, intensity: int = 1,
              statement: int = 1, repetition: int = 1) -> str:
    """A RAVDESS speech file stem, ``modality-01-emotion-intensity-statement-repetition-actor``."""
    return (f'{modality:02d}-01-{emotion:02d}-{intensity:02d}-{statement:02d}-'
            f'{repetition:02d}-{actor:02d}')


def write_synthetic_ravdess(root: str, clips_per_class: Sequence[int] = (1, 1, 1),
                            sample_rate: int = 22050, duration: float = 0.5,
                            frames_per_clip: int = 3, frame_size: tuple[int, int] = (32, 32),
                            seed: int = 0, train_actors: Sequence[int] = (9, )
                            ) -> dict[str, list[tuple[str, str]]]:
    """Write the converted RAVDESS layout: ``AudioWAV/``, ``Frames-15/``, split csvs.

    Train clips are of ``train_actors`` (09 by default; repeats cycle through them),
    validation of actor 05, test of actor 01 (the default protocol's splits); one
    class-coloured, class-toned clip per class and repeat.

    Args:
        root: The ``data_root``.
        clips_per_class: Clips per class in (train, val, test).
        sample_rate: Wav rate.
        duration: Seconds per wav (the pipeline tiles it to 3.6 s).
        frames_per_clip: Frames per clip folder.
        frame_size: (height, width).
        seed: Random seed.
        train_actors: Actors of the training clips (09-24), e.g. two for a split by actor.

    Returns:
        ``{'train': [(clip, emotion)], 'val': ..., 'test': ...}``.
    """
    rng = np.random.default_rng(seed)
    opts = _options(sample_rate, duration, frames_per_clip, frame_size)
    splits = {}
    for split, count, actors in zip(('train', 'val', 'test'), clips_per_class,
                                    (tuple(train_actors), (5, ), (1, ))):
        rows = []
        for repeat in range(count):
            actor = actors[repeat % len(actors)]
            for index, emotion in enumerate(RAVDESS_CLASSES):
                clip = clip_name(index + 1, actor, repetition=1 + repeat % 2,
                                 statement=1 + repeat // 2 % 2)
                _write_clip(root, osp.join(root, 'AudioWAV', clip + '.wav'),
                            osp.join(root, 'Frames-15', clip), index, len(RAVDESS_CLASSES),
                            'wav', opts, rng)
                rows.append((clip, emotion))
        Path(root, f'{split}.csv').write_text(''.join(f'{c},{e}\n' for c, e in rows))
        splits[split] = rows
    return splits


def write_raw_ravdess(root: str, clips: dict[int, Sequence[str]], seconds: float = 1.0,
                      fps: int = 30, size: tuple[int, int] = (48, 64),
                      no_audio: Optional[Sequence[str]] = ()) -> list[Path]:
    """Write ``Video_Speech_Actor_NN.zip`` files of small mp4s (H.264 + AAC), as downloaded.

    Each clip's frames carry their index (``fdkd_mm.testing.synthetic_video``) and its audio a
    tone. Members are ``Actor_NN/<clip>.mp4``.

    Args:
        root: Folder of the zips.
        clips: Actor number -> clip stems of that actor.
        seconds: Length of each clip.
        fps: Frame rate.
        size: (height, width).
        no_audio: Clip stems written without an audio stream.

    Returns:
        The zip paths.
    """
    from .synthetic_video import write_video  # needs PyAV
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    zips = []
    for actor, stems in clips.items():
        path = root / f'Video_Speech_Actor_{actor:02d}.zip'
        with zipfile.ZipFile(path, 'w') as zf:
            for stem in stems:
                video = root / f'.{stem}.mp4'
                write_video(video, seconds, fps, size,
                            tone_hz=None if stem in no_audio else 440.0)
                zf.write(video, f'Actor_{actor:02d}/{stem}.mp4')
                video.unlink()
        zips.append(path)
    return zips
