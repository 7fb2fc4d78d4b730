"""Write a tiny CrisisMMD-shaped dataset (split TSVs + JPEGs) for tests and smoke runs.

Labels are learnable from either modality alone: each class has its own keyword in the tweet
text and its own solid image colour, so a text teacher and an image student can both fit it.
"""
import os
import os.path as osp
from typing import Optional

import numpy as np
from PIL import Image

from fdkd_mm.datasets.crisismmd import SPLITS, TASK_CLASSES, default_ann_file

# The column order of the benchmark split files.
TSV_COLUMNS = ('event_name', 'tweet_id', 'image_id', 'tweet_text', 'image', 'label',
               'label_text', 'label_image', 'label_text_image')
EVENTS = ('hurricane_harvey', 'mexico_earthquake', 'srilanka_floods')
FILLER_WORDS = ('the', 'storm', 'today', 'near', 'city', 'via', 'news')
# Distinct, saturated RGB colours (enough for the largest task, 8 classes).
CLASS_COLOURS = ((220, 30, 30), (30, 200, 30), (30, 30, 220), (220, 220, 30),
                 (220, 30, 220), (30, 220, 220), (240, 140, 20), (120, 120, 120))


def class_keyword(class_name: str) -> str:
    """The word that marks ``class_name`` in synthetic tweets (its first name component)."""
    return class_name.split('_')[0]


def class_keywords(task: str, split_set: str = 'all') -> dict[str, str]:
    """Class name → keyword, checked to be unique within the task.

    Args:
        task: ``'informative'`` or ``'humanitarian'``.
        split_set: ``'all'`` or ``'agreed'``.

    Returns:
        The mapping.
    """
    keywords = {name: class_keyword(name) for name in TASK_CLASSES[split_set][task]}
    if len(set(keywords.values())) != len(keywords):
        raise ValueError(f'class keywords of {task} collide: {keywords}')
    return keywords


def write_synthetic_crisismmd(root: str,
                              task: str = 'informative',
                              split_set: str = 'all',
                              samples_per_split: Optional[dict[str, int]] = None,
                              image_size: tuple[int, int] = (32, 40),
                              seed: int = 0) -> dict[str, str]:
    """Write split TSVs and JPEG images under ``root`` in the real CrisisMMD v2.0 layout.

    Tweets cycle through the classes; each tweet holds its class keyword among random filler
    words, each image is the class colour plus mild noise. Every third row is a second image
    of the previous tweet (``<tweet_id>_1``), as in the real data.

    Args:
        root: Directory to write to (the ``data_root`` of :class:`CrisisMMDDataset`).
        task: ``'informative'`` or ``'humanitarian'``.
        split_set: ``'all'`` or ``'agreed'`` (file names and class list).
        samples_per_split: Rows per split; defaults to ``train=8, dev=4, test=4``.
        image_size: ``(height, width)`` of the images.
        seed: Random seed.

    Returns:
        Split name → path of the TSV written.
    """
    samples_per_split = samples_per_split or dict(train=8, dev=4, test=4)
    classes = TASK_CLASSES[split_set][task]
    keywords = class_keywords(task, split_set)
    rng = np.random.default_rng(seed)
    written = {}
    tweet_no = 0
    for split in SPLITS:
        rows = []
        for idx in range(samples_per_split.get(split, 0)):
            # Every third row is a second image of the previous tweet (same text and label),
            # as real multi-image tweets are; the other rows start a new tweet.
            if idx % 3 == 2:
                image_index += 1
            else:
                tweet_no += 1
                image_index = 0
                label = classes[(tweet_no - 1) % len(classes)]
                event = EVENTS[tweet_no % len(EVENTS)]
                tweet_id = str(900000000000000000 + tweet_no)
                words = [str(word) for word in rng.choice(FILLER_WORDS, size=4)]
                words.insert(int(rng.integers(0, len(words) + 1)), keywords[label])
                text = ' '.join(words)
            image_id = f'{tweet_id}_{image_index}'
            image_rel = f'data_image/{event}/10_9_2017/{image_id}.jpg'
            _write_image(osp.join(root, image_rel), CLASS_COLOURS[classes.index(label)],
                         image_size, rng)
            rows.append((event, tweet_id, image_id, text, image_rel, label, label, label,
                         'Positive'))
        path = osp.join(root, default_ann_file(task, split, split_set))
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8', newline='') as f:
            f.write('\t'.join(TSV_COLUMNS) + '\n')
            for row in rows:
                f.write('\t'.join(row) + '\n')
        written[split] = path
    return written


def _write_image(path: str, colour: tuple[int, int, int], size: tuple[int, int],
                 rng: np.random.Generator) -> None:
    """Save a noisy solid-colour RGB JPEG."""
    height, width = size
    noise = rng.integers(-15, 16, size=(height, width, 3))
    pixels = np.clip(np.array(colour)[None, None] + noise, 0, 255).astype(np.uint8)
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(pixels).save(path, quality=95)
