"""Write two folders of real-format files and a manifest pairing them, for tests and the
``docs/your_own_data.md`` walk-through.

Classification: ``rgb/<id>.png`` (8-bit colour), ``depth/<id>.png`` (16-bit millimetres),
``audio/<id>.wav`` (16-bit PCM) and a text cell per sample; each class has its own colour,
distance, tone and keyword, so every modality alone can learn it. Segmentation: ``rgb``,
``depth`` and ``labels/<id>.png`` (8-bit class indices) of box scenes.
"""
import csv
import os
import os.path as osp
from typing import Sequence

import cv2
import numpy as np
from scipy.io import wavfile

CLASS_NAMES = ('kitchen', 'office', 'street')
COLOURS = ((40, 40, 220), (40, 200, 40), (220, 60, 40))  # BGR, as OpenCV writes
DISTANCES_MM = (800, 2500, 6000)
TONES_HZ = (220.0, 440.0, 880.0)
KEYWORDS = ('kitchen', 'office', 'street')
#: A WordPiece vocabulary for a tiny BERT tokenizer: ids are the line numbers.
VOCAB = ('[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'photo', 'of', 'the', 'kitchen',
         'office', 'street', 'scene')


def write_tokenizer(directory: str) -> str:
    """The files of a BERT tokenizer directory (``vocab.txt`` + ``tokenizer_config.json``).

    Args:
        directory: Where to write them.

    Returns:
        ``directory``.
    """
    os.makedirs(directory, exist_ok=True)
    with open(osp.join(directory, 'vocab.txt'), 'w') as handle:
        handle.write('\n'.join(VOCAB) + '\n')
    with open(osp.join(directory, 'tokenizer_config.json'), 'w') as handle:
        handle.write('{"tokenizer_class": "BertTokenizer", "do_lower_case": true}')
    return directory


def _image(rng: np.random.Generator, colour: Sequence[int], size: tuple[int, int]) -> np.ndarray:
    h, w = size
    noise = rng.integers(-20, 21, (h, w, 3))
    return np.clip(np.asarray(colour)[None, None] + noise, 0, 255).astype(np.uint8)


def write_cls_folders(root: str, per_class: int = 4, size: tuple[int, int] = (24, 32),
                      splits: Sequence[str] = ('train', 'val'), audio_seconds: float = 0.5,
                      sample_rate: int = 8000, seed: int = 0) -> str:
    """Write ``rgb/``, ``depth/``, ``audio/`` and ``manifest.csv`` under ``root``.

    Columns: ``id, rgb, depth, audio, text, label, split, group``; samples cycle through the
    classes and the splits.

    Args:
        root: The data root.
        per_class: Samples per class (in all splits together).
        size: (h, w) of the images.
        splits: Split names, assigned in turn.
        audio_seconds: Length of each wav.
        sample_rate: Rate of each wav.
        seed: Noise seed.

    Returns:
        The manifest's path.
    """
    rng = np.random.default_rng(seed)
    for folder in ('rgb', 'depth', 'audio'):
        os.makedirs(osp.join(root, folder), exist_ok=True)
    rows = []
    t = np.arange(int(audio_seconds * sample_rate)) / sample_rate
    for index in range(per_class * len(CLASS_NAMES)):
        label = index % len(CLASS_NAMES)
        sample = f'{index:04d}'
        cv2.imwrite(osp.join(root, 'rgb', f'{sample}.png'), _image(rng, COLOURS[label], size))
        depth = DISTANCES_MM[label] + rng.integers(-50, 51, size)
        cv2.imwrite(osp.join(root, 'depth', f'{sample}.png'), depth.astype(np.uint16))
        wave = 0.5 * np.sin(2 * np.pi * TONES_HZ[label] * t) + 0.01 * rng.standard_normal(t.size)
        wavfile.write(osp.join(root, 'audio', f'{sample}.wav'), sample_rate,
                      (wave * 32767).astype(np.int16))
        rows.append(dict(id=sample, rgb=f'rgb/{sample}.png', depth=f'depth/{sample}.png',
                         audio=f'audio/{sample}.wav',
                         text=f'a photo of the {KEYWORDS[label]} scene',
                         label=CLASS_NAMES[label], split=splits[(index // len(CLASS_NAMES))
                                                                % len(splits)],
                         group=f'g{index % 2}'))
    path = osp.join(root, 'manifest.csv')
    with open(path, 'w', newline='') as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_seg_folders(root: str, count: int = 8, size: tuple[int, int] = (24, 32),
                      splits: Sequence[str] = ('train', 'val'), seed: int = 0) -> str:
    """Write ``rgb/``, ``depth/``, ``labels/``, ``classes.txt`` and ``manifest.csv``.

    Each scene is a background (class 0) with one box of class 1 or 2; the box has its
    class's colour and distance; one pixel row is 255 (ignored).

    Args:
        root: The data root.
        count: Scenes.
        size: (h, w).
        splits: Split names, assigned in turn.
        seed: Layout seed.

    Returns:
        The manifest's path.
    """
    rng = np.random.default_rng(seed)
    for folder in ('rgb', 'depth', 'labels'):
        os.makedirs(osp.join(root, folder), exist_ok=True)
    h, w = size
    rows = []
    for index in range(count):
        label = np.zeros(size, np.uint8)
        cls = 1 + index % 2
        y, x = rng.integers(0, h // 2), rng.integers(0, w // 2)
        label[y:y + h // 2, x:x + w // 2] = cls
        rgb = np.asarray(COLOURS, np.uint8)[label]
        depth = np.asarray(DISTANCES_MM, np.uint16)[label]
        label[-1] = 255
        sample = f'{index:04d}'
        cv2.imwrite(osp.join(root, 'rgb', f'{sample}.png'), rgb)
        cv2.imwrite(osp.join(root, 'depth', f'{sample}.png'), depth)
        cv2.imwrite(osp.join(root, 'labels', f'{sample}.png'), label)
        rows.append(dict(id=sample, rgb=f'rgb/{sample}.png', depth=f'depth/{sample}.png',
                         label=f'labels/{sample}.png', split=splits[index % len(splits)]))
    with open(osp.join(root, 'classes.txt'), 'w') as handle:
        handle.write('\n'.join(('background', 'table', 'chair')) + '\n')
    path = osp.join(root, 'manifest.csv')
    with open(path, 'w', newline='') as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
