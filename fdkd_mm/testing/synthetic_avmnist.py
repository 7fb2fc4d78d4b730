"""AV-MNIST in MultiBench's layout, small: class-coded image and spectrogram arrays."""
from pathlib import Path

import numpy as np


def write_synthetic_avmnist(root: str, num_train: int = 12, num_test: int = 4,
                            seed: int = 0) -> dict[str, np.ndarray]:
    """Write ``image/``, ``audio/`` and the label arrays; digit ``d`` brightens image row
    block ``d`` and spectrogram band ``d`` (plus noise), labels cycling 0-9.

    Args:
        root: The ``data_root``.
        num_train: Training pairs (set the dataset's ``val_size`` below it).
        num_test: Test pairs.
        seed: Random seed.

    Returns:
        ``{'train': labels, 'test': labels}``.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    (root / 'image').mkdir(parents=True, exist_ok=True)
    (root / 'audio').mkdir(parents=True, exist_ok=True)
    labels = {}
    for split, count in (('train', num_train), ('test', num_test)):
        digits = (np.arange(count) % 10).astype(np.uint8)
        images = rng.normal(0, 0.1, (count, 28, 28)).astype(np.float32)
        audio = rng.random((count, 112, 112)).astype(np.float32)
        for index, digit in enumerate(digits):
            images[index, 2 * digit:2 * digit + 3] += 1.0
            audio[index, 10 * digit:10 * digit + 10] += 5.0
        np.save(root / 'image' / f'{split}_data.npy', images.reshape(count, 784))
        np.save(root / 'audio' / f'{split}_data.npy', audio)
        np.save(root / f'{split}_labels.npy', digits)
        labels[split] = digits
    return labels
