"""Write a small synthetic dataset in the NYU-Depth V2 on-disk layout.

Each scene is a background ("wall", label 1) with a few overlapping rectangles of other
classes, a void border and a void patch (label 0), like the unlabelled pixels of the real
data. Every class has its own colour *and* its own depth level, each with a gentle gradient
and noise, so a segmentation net can learn the classes from RGB alone and from depth alone.
The dataset still declares the 40 NYU classes; only labels 1..``num_classes`` occur.

Depth statistics, for the depth data preprocessor: with 5..8 classes the depths lie in
1.0..5.9 m with mean about 4.7 m and std about 1.5 m (the background, half the pixels, is
farthest; class levels are evenly spaced from 5.7 m down to 1.2 m, see ``class_depth``).
"""
import colorsys
from pathlib import Path
from typing import Union

import cv2
import numpy as np

#: Nearest and farthest class depth level in metres.
NEAR_DEPTH, FAR_DEPTH = 1.2, 5.7


def class_color(label: int, num_classes: int, rgb_cue: float = 1.0) -> np.ndarray:
    """RGB colour of a class: hues spread evenly around the colour wheel.

    With ``rgb_cue < 1`` the object classes come in pairs (2, 3), (4, 5), ... whose colours
    are pulled together: each keeps only ``rgb_cue`` of its difference from the pair's mean
    colour, so RGB tells the pair apart only weakly while depth (its own level per class) does
    so fully, as in real scenes where depth separates objects of similar appearance.

    Args:
        label: Class label in ``1..num_classes``.
        num_classes: Number of classes in use.
        rgb_cue: Fraction of the colour difference within a pair that is kept, in [0, 1].

    Returns:
        float32 array of shape (3,), RGB in 0..255.
    """
    def own(cls: int) -> np.ndarray:
        hue = (cls - 1) / num_classes
        value = 0.9 if cls % 2 else 0.65  # neighbours on the wheel also differ in brightness
        return np.array(colorsys.hsv_to_rgb(hue, 0.8, value), dtype=np.float32) * 255

    partner = label + 1 if label % 2 == 0 else label - 1
    if rgb_cue == 1.0 or label == 1 or not 2 <= partner <= num_classes:
        return own(label)
    mean = (own(label) + own(partner)) / 2
    return mean + np.float32(rgb_cue) * (own(label) - mean)


def class_depth(label: int, num_classes: int) -> float:
    """Depth level of a class in metres, evenly spaced; the background (1) is farthest.

    Args:
        label: Class label in ``1..num_classes``.
        num_classes: Number of classes in use.

    Returns:
        Depth in metres.
    """
    if num_classes == 1:
        return FAR_DEPTH
    step = (FAR_DEPTH - NEAR_DEPTH) / (num_classes - 1)
    return FAR_DEPTH - (label - 1) * step


def _random_box(rng: np.random.Generator, height: int, width: int, low: float,
                high: float) -> tuple:
    box_h = max(2, int(height * rng.uniform(low, high)))
    box_w = max(2, int(width * rng.uniform(low, high)))
    top = int(rng.integers(0, height - box_h + 1))
    left = int(rng.integers(0, width - box_w + 1))
    return slice(top, top + box_h), slice(left, left + box_w)


def make_scene(rng: np.random.Generator, height: int, width: int,
               num_classes: int, rgb_cue: float = 1.0) -> tuple:
    """Draw one scene.

    Args:
        rng: Random generator (the only source of randomness).
        height: Image height.
        width: Image width.
        num_classes: Classes ``1..num_classes`` may occur; 1 is the background.
        rgb_cue: How distinct paired classes look in RGB (see :func:`class_color`).

    Returns:
        ``(rgb, depth_mm, label)``: uint8 (H, W, 3) RGB, uint16 (H, W) millimetres and
        uint8 (H, W) labels with 0 = void.
    """
    label = np.ones((height, width), np.uint8)
    color = np.empty((height, width, 3), np.float32)
    depth = np.empty((height, width), np.float32)
    rows = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None]
    cols = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]

    def paint(region: tuple, cls: int) -> None:
        label[region] = cls
        color[region] = class_color(cls, num_classes, rgb_cue)
        # A small tilt per object: at most +-0.2 m, below the spacing of class levels
        # (0.64 m for 8 classes), so depth alone still tells the classes apart.
        tilt = rng.uniform(-0.1, 0.1, size=2).astype(np.float32)
        depth[region] = (class_depth(cls, num_classes)
                         + tilt[0] * rows[region[0]] + tilt[1] * cols[:, region[1]])

    paint((slice(None), slice(None)), 1)
    for _ in range(int(rng.integers(2, 5))):
        cls = int(rng.integers(2, num_classes + 1)) if num_classes > 1 else 1
        paint(_random_box(rng, height, width, 0.25, 0.55), cls)

    # Void: a patch of clutter with random colour and depth, and a thin border, as the real
    # labelled frames have unlabelled pixels along their edges.
    void = _random_box(rng, height, width, 0.08, 0.18)
    label[void] = 0
    color[void] = rng.uniform(0, 255, size=3)
    depth[void] = rng.uniform(NEAR_DEPTH, FAR_DEPTH)
    border = max(1, min(height, width) // 32)
    for edge in ((slice(0, border), slice(None)), (slice(-border, None), slice(None)),
                 (slice(None), slice(0, border)), (slice(None), slice(-border, None))):
        label[edge] = 0

    gain = rng.uniform(0.85, 1.15)  # scene-wide illumination change
    color = color * gain + rng.normal(0.0, 8.0, size=color.shape)
    depth = depth + rng.normal(0.0, 0.03, size=depth.shape)
    rgb = np.clip(np.rint(color), 0, 255).astype(np.uint8)
    depth_mm = np.clip(np.rint(depth * 1000), 1, 65535).astype(np.uint16)
    return rgb, depth_mm, label


def write_synthetic_nyu(root: Union[str, Path], num_train: int = 24, num_test: int = 8,
                        height: int = 64, width: int = 80, num_classes: int = 6,
                        seed: int = 0, rgb_cue: float = 1.0, frames_per_scene: int = 2) -> Path:
    """Write a synthetic dataset with the NYU-Depth V2 layout and file formats.

    Args:
        root: Output root (created if needed; existing files of the same ids are replaced).
        num_train: Number of training samples.
        num_test: Number of test samples.
        height: Image height in pixels.
        width: Image width in pixels.
        num_classes: Labels ``1..num_classes`` occur (at most 40).
        seed: Seed; the same arguments always write the same files.
        rgb_cue: How distinct paired object classes look in RGB, in [0, 1]: 1 (default)
            gives every class its own colour; lower values leave pairs told apart only weakly
            by colour but fully by depth (:func:`class_color`).
        frames_per_scene: Consecutive frames that share a scene in ``scenes.txt`` (the rooms
            ``DisjointPartDataset(group_by='scene')`` splits by), like the several frames per
            room of the real set.

    Returns:
        The root as a ``Path``.
    """
    if not 1 <= num_classes <= 40:
        raise ValueError(f'num_classes must be in 1..40, got {num_classes}')
    if num_train < 1 or num_test < 1:
        raise ValueError(f'need at least one sample per split, got {num_train}, {num_test}')
    if not 0.0 <= rgb_cue <= 1.0:
        raise ValueError(f'rgb_cue must be in [0, 1], got {rgb_cue}')
    if frames_per_scene < 1:
        raise ValueError(f'frames_per_scene must be >= 1, got {frames_per_scene}')
    if height < 16 or width < 16:
        raise ValueError(f'images must be at least 16x16, got {height}x{width}')
    root = Path(root)
    rng = np.random.default_rng(seed)
    # Ids continue across splits, like the 1-based frame indices of the real converter.
    splits = {'train': range(1, num_train + 1),
              'test': range(num_train + 1, num_train + num_test + 1)}
    for split, indices in splits.items():
        for sub in ('rgb', 'depth', 'labels_40'):
            (root / split / sub).mkdir(parents=True, exist_ok=True)
        ids = [f'{index:04d}' for index in indices]
        for sample_id in ids:
            rgb, depth_mm, label = make_scene(rng, height, width, num_classes, rgb_cue)
            cv2.imwrite(str(root / split / 'rgb' / f'{sample_id}.png'), rgb[..., ::-1])
            cv2.imwrite(str(root / split / 'depth' / f'{sample_id}.png'), depth_mm)
            cv2.imwrite(str(root / split / 'labels_40' / f'{sample_id}.png'), label)
        (root / f'{split}.txt').write_text('\n'.join(ids) + '\n')
    total = num_train + num_test
    (root / 'scenes.txt').write_text(''.join(
        f'{index:04d} synthetic_{(index - 1) // frames_per_scene + 1:04d}\n'
        for index in range(1, total + 1)))
    return root
