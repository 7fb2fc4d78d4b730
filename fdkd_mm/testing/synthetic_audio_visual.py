"""Tiny synthetic CREMA-D / AVE / VGGSound trees in the real on-disk layouts, for tests and demos.

Each class is recognisable from either modality alone: class ``k`` sounds as a sine tone of
:func:`tone_frequency` ``(k)`` Hz and looks like frames of :func:`class_colour` ``(k)``. Files use
the real formats (16-bit PCM wavs, JPEG frames ``frame_00001.jpg`` …, AVE spectrogram pickles /
``.npy``) and the real split-file syntax, so the dataset classes read them unchanged.
"""
import colorsys
import os
import os.path as osp
import pickle
from typing import Sequence

import numpy as np
from PIL import Image
from scipy import signal
from scipy.io import wavfile

from fdkd_mm.datasets.audio_visual.cremad import CREMAD_CLASSES

# Real category names of each dataset, including ones with commas (quoting/parsing matters).
AVE_NAMES = ('Church bell', 'Male speech, man speaking', 'Bark', 'Acoustic guitar',
             'Race car, auto racing', 'Violin, fiddle')
VGGSOUND_NAMES = ('playing violin, fiddle', 'dog barking', 'male singing',
                  'playing acoustic guitar', 'people crowd', 'church bell ringing')
CREMAD_SENTENCES = ('DFA', 'IEO', 'IOM', 'ITH', 'ITS', 'IWL', 'IWW', 'MTI', 'TAI', 'TIE')


def tone_frequency(class_index: int) -> float:
    """Frequency (Hz) of the sine tone of a class: 250 Hz apart, below 8 kHz for 28 classes."""
    return 250.0 * (class_index + 1)


def class_colour(class_index: int, num_classes: int,
                 visual_cue: float = 1.0) -> tuple[int, int, int]:
    """Saturated RGB colour of a class, hues spread evenly over the colour wheel.

    With ``visual_cue < 1`` the classes come in pairs (0, 1), (2, 3), ... whose colours keep
    only ``visual_cue`` of their difference from the pair's mean colour: the frames tell the
    pair apart weakly, the tones fully (as the synthetic NYU scenes' ``rgb_cue``).
    """
    def own(index: int) -> np.ndarray:
        return np.array(colorsys.hsv_to_rgb(index / num_classes, 0.9, 0.9)) * 255

    partner = class_index ^ 1
    colour = own(class_index)
    if visual_cue != 1.0 and partner < num_classes:
        mean = (colour + own(partner)) / 2
        colour = mean + visual_cue * (colour - mean)
    return tuple(int(c) for c in colour)


def _tone(class_index: int, sample_rate: int, duration: float,
          rng: np.random.Generator) -> np.ndarray:
    """A class tone with random phase and a little noise, float in [-1, 1]."""
    time = np.arange(int(round(duration * sample_rate))) / sample_rate
    phase = rng.uniform(0, 2 * np.pi)
    wave = 0.5 * np.sin(2 * np.pi * tone_frequency(class_index) * time + phase)
    return wave + 0.01 * rng.standard_normal(len(time))


def write_wav(path: str, waveform: np.ndarray, sample_rate: int) -> None:
    """Write a float waveform in [-1, 1] as a 16-bit PCM wav."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    pcm = np.round(np.clip(waveform, -1, 1) * 32767).astype(np.int16)
    wavfile.write(path, sample_rate, pcm)


def write_frames(frame_dir: str, colour: Sequence[int], num_frames: int,
                 size: tuple[int, int], rng: np.random.Generator) -> None:
    """Write ``frame_00001.jpg`` … : the class colour, brightness varying per frame, noise."""
    os.makedirs(frame_dir, exist_ok=True)
    height, width = size
    for index in range(num_frames):
        gain = 0.85 + 0.15 * index / max(num_frames - 1, 1)
        noise = rng.integers(-8, 9, size=(height, width, 3))
        pixels = np.clip(np.array(colour) * gain + noise, 0, 255).astype(np.uint8)
        Image.fromarray(pixels, 'RGB').save(osp.join(frame_dir, f'frame_{index + 1:05d}.jpg'),
                                            quality=95)


def _write_clip(root: str, audio_path: str, frame_dir: str, class_index: int,
                num_classes: int, audio_format: str, opts: dict,
                rng: np.random.Generator) -> None:
    """Write one clip's audio (wav / pkl / npy) and frames."""
    wave = _tone(class_index, opts['sample_rate'], opts['duration'], rng)
    if audio_format == 'wav':
        write_wav(audio_path, wave, opts['sample_rate'])
    else:
        # The public AVE pickles: scipy spectrogram, log, standardised (OGM-GE preprocessing).
        _, _, power = signal.spectrogram(wave, opts['sample_rate'], nperseg=512, noverlap=353)
        spec = np.log(power + 1e-7)
        spec = ((spec - spec.mean()) / (spec.std() + 1e-9)).astype(np.float32)
        os.makedirs(osp.dirname(audio_path), exist_ok=True)
        if audio_format == 'npy':
            np.save(audio_path, spec)
        else:
            with open(audio_path, 'wb') as f:
                pickle.dump(spec, f)
    write_frames(frame_dir, class_colour(class_index, num_classes, opts['visual_cue']),
                 opts['frames_per_clip'], opts['frame_size'], rng)


def _options(sample_rate: int, duration: float, frames_per_clip: int,
             frame_size: tuple[int, int], visual_cue: float = 1.0) -> dict:
    return dict(sample_rate=sample_rate, duration=duration, frames_per_clip=frames_per_clip,
                frame_size=tuple(frame_size), visual_cue=float(visual_cue))


def write_synthetic_cremad(root: str, clips_per_class: Sequence[int] = (2, 1),
                           sample_rate: int = 16000, duration: float = 0.5,
                           frames_per_clip: int = 4, frame_size: tuple[int, int] = (32, 32),
                           seed: int = 0,
                           visual_cue: float = 1.0) -> dict[str, list[tuple[str, str]]]:
    """Write a CREMA-D tree: ``AudioWAV/``, ``Image-01-FPS/``, ``train.csv``, ``test.csv``.

    Args:
        root: Folder to write into (the ``data_root``).
        clips_per_class: Clips per class in (train, test).
        sample_rate: Wav rate (CREMA-D's own wavs are 16 kHz).
        duration: Seconds per clip.
        frames_per_clip: Frames written per clip.
        frame_size: (height, width) of the frames.
        seed: Random seed.
        visual_cue: How distinct paired classes look (see :func:`class_colour`).

    Returns:
        ``{'train': [(clip, EMO), ...], 'test': [...]}`` in file order.
    """
    rng = np.random.default_rng(seed)
    opts = _options(sample_rate, duration, frames_per_clip, frame_size, visual_cue)
    splits, actor = {}, 1001
    for split, count in zip(('train', 'test'), clips_per_class):
        rows = []
        for repeat in range(count):
            for index, emotion in enumerate(CREMAD_CLASSES):
                clip = f'{actor}_{CREMAD_SENTENCES[repeat % 10]}_{emotion}_XX'
                _write_clip(root, osp.join(root, 'AudioWAV', clip + '.wav'),
                            osp.join(root, 'Image-01-FPS', clip), index, len(CREMAD_CLASSES),
                            'wav', opts, rng)
                rows.append((clip, emotion))
            actor += 1
        with open(osp.join(root, f'{split}.csv'), 'w', newline='') as f:
            f.writelines(f'{clip},{emotion}\n' for clip, emotion in rows)
        splits[split] = rows
    return splits


def _youtube_id(rng: np.random.Generator) -> str:
    """An 11-character YouTube-like id (may contain '-' and '_', as real ones do)."""
    alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    return ''.join(alphabet[i] for i in rng.integers(0, len(alphabet), 11))


def write_synthetic_ave(root: str, num_classes: int = 3, clips_per_class: Sequence[int] = (2, 1, 1),
                        audio_format: str = 'pkl', sample_rate: int = 16000,
                        duration: float = 0.5, frames_per_clip: int = 4,
                        frame_size: tuple[int, int] = (32, 32),
                        seed: int = 0) -> dict[str, list[tuple[str, str]]]:
    """Write an AVE tree: ``trainSet.txt`` / ``valSet.txt`` / ``testSet.txt``, audio, frames.

    Audio goes to ``Audio-1004-SE/<vid>.pkl`` (or ``.npy``) as a (257, frames) log-spectrogram
    made like the public pickles, or with ``audio_format='wav'`` to ``Audio-WAV/<vid>.wav``.
    Frames go to ``Image-01-FPS-SE/<vid>/``.

    Args:
        root: Folder to write into (the ``data_root``).
        num_classes: Number of classes (at most ``len(AVE_NAMES)``).
        clips_per_class: Clips per class in (train, val, test).
        audio_format: ``'pkl'``, ``'npy'`` or ``'wav'``.
        sample_rate: Rate of the tones.
        duration: Seconds per clip.
        frames_per_clip: Frames written per clip.
        frame_size: (height, width) of the frames.
        seed: Random seed.

    Returns:
        ``{'train'|'val'|'test': [(video_id, category), ...]}`` in file order.
    """
    if audio_format not in ('pkl', 'npy', 'wav'):
        raise ValueError(f'audio_format must be pkl, npy or wav, got {audio_format!r}')
    names = AVE_NAMES[:num_classes]
    rng = np.random.default_rng(seed)
    opts = _options(sample_rate, duration, frames_per_clip, frame_size)
    audio_dir = 'Audio-WAV' if audio_format == 'wav' else 'Audio-1004-SE'
    splits = {}
    for split, count in zip(('train', 'val', 'test'), clips_per_class):
        rows = []
        for _ in range(count):
            for index, name in enumerate(names):
                vid = _youtube_id(rng)
                _write_clip(root, osp.join(root, audio_dir, f'{vid}.{audio_format}'),
                            osp.join(root, 'Image-01-FPS-SE', vid), index, len(names),
                            audio_format, opts, rng)
                rows.append((vid, name))
        with open(osp.join(root, f'{split}Set.txt'), 'w') as f:
            f.writelines(f'{name}&{vid}&good&0&10\n' for vid, name in rows)
        splits[split] = rows
    return splits


def write_synthetic_vggsound(root: str, num_classes: int = 3,
                             clips_per_class: Sequence[int] = (2, 1), sample_rate: int = 16000,
                             duration: float = 0.5, frames_per_clip: int = 4,
                             frame_size: tuple[int, int] = (32, 32),
                             seed: int = 0) -> dict[str, list[tuple[str, str]]]:
    """Write a VGGSound tree: ``train.csv`` / ``test.csv`` and the train-/test- folders.

    Rows are ``<ytid>,<start>,<label>`` (labels with commas quoted); files are
    ``{split}-audios/{split}-set/<ytid>_<start:06d>.wav`` and
    ``{split}-videos/{split}-set-img/Image-01-FPS/<ytid>_<start:06d>.mp4/frame_*.jpg``.

    Args:
        root: Folder to write into (the ``data_root``).
        num_classes: Number of classes (at most ``len(VGGSOUND_NAMES)``).
        clips_per_class: Clips per class in (train, test).
        sample_rate: Wav rate (VGGSound audio is used at 16 kHz).
        duration: Seconds per clip.
        frames_per_clip: Frames written per clip.
        frame_size: (height, width) of the frames.
        seed: Random seed.

    Returns:
        ``{'train'|'test': [(clip_id, label), ...]}`` with ``clip_id = <ytid>_<start:06d>``.
    """
    import csv  # only the writer needs csv quoting

    names = VGGSOUND_NAMES[:num_classes]
    rng = np.random.default_rng(seed)
    opts = _options(sample_rate, duration, frames_per_clip, frame_size)
    splits = {}
    for split, count in zip(('train', 'test'), clips_per_class):
        rows, csv_rows = [], []
        for _ in range(count):
            for index, name in enumerate(names):
                ytid, start = _youtube_id(rng), int(rng.integers(0, 300))
                clip = f'{ytid}_{start:06d}'
                _write_clip(root, osp.join(root, f'{split}-audios', f'{split}-set', clip + '.wav'),
                            osp.join(root, f'{split}-videos', f'{split}-set-img', 'Image-01-FPS',
                                     clip + '.mp4'), index, len(names), 'wav', opts, rng)
                rows.append((clip, name))
                csv_rows.append((ytid, start, name))
        with open(osp.join(root, f'{split}.csv'), 'w', newline='') as f:
            csv.writer(f).writerows(csv_rows)
        splits[split] = rows
    return splits
