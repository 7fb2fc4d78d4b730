"""AV-MNIST from its sources, as the generator MultiBench uses (``_MFAS``'s ``avmnist_gen.py``).

* **Images**: MNIST's IDX files; per split, PCA keeping a quarter of the 784 components (196),
  the image rebuilt from them *without* adding the mean back (the generator's
  ``projected @ components_``), 784 floats per image.
* **Audio**: for each MNIST label in file order, the next Free Spoken Digit Dataset recording of
  that digit (cycling; the test speaker's recordings for the test split, the training
  speakers' for the training split) plus ``0.009`` x one ESC-50 clip (raw 16-bit values; the
  noise resampled to the recording's 8 kHz with ``scipy.signal.resample``), the noise cycling
  through one clip per ESC-50 category, the first 40 categories for training and the last 10
  for test. The 112 x 112 power spectrogram is ``scipy.signal.spectrogram`` with a boxcar
  window, ``nfft=223`` and the segment length / overlap that give exactly 112 segments (the
  smallest segment length, then the smallest overlap).

Where the generator leaves things to chance this module fixes them: recordings are ordered by
(digit, speaker, index) instead of directory order, the ESC-50 clip of each category is drawn
with a seeded generator instead of an unseeded ``pandas.sample``, and the training speakers are
named (jackson, nicolas, theo: the generator's list) rather than "every speaker but the test
one" (FSDD releases after 2018 add george and lucas). PCA is exact (eigenvectors of the
covariance) where scikit-learn's default solver is randomized; outputs are float32.
"""
import gzip
import re
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from fdkd_mm.errors import DataError

IMAGE_MAGIC, LABEL_MAGIC = 0x00000803, 0x00000801
KEEP_FRACTION = 0.25
NOISE_POWER = 0.009
SPEC_SIZE = 112
NFFT = (SPEC_SIZE - 1) * 2 + 1  # 223: an odd FFT whose one-sided spectrum has 112 bins
TRAIN_SPEAKERS = ('jackson', 'nicolas', 'theo')
TEST_SPEAKER = 'yweweler'
NUM_TRAIN_NOISES = 40
FSDD_NAME = re.compile(r'^(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<index>\d+)\.wav$')


def _open(path: Path):
    return gzip.open(path, 'rb') if path.suffix == '.gz' else open(path, 'rb')


def read_idx(path: Path, magic: int) -> np.ndarray:
    """Read an IDX file (``.gz`` or not): images (N, H, W) or labels (N,), uint8.

    Raises:
        DataError: Wrong magic number or a file shorter than its header says (truncated).
    """
    with _open(path) as f:
        data = f.read()
    if len(data) < 8 or int.from_bytes(data[:4], 'big') != magic:
        raise DataError(f'{path}: not an IDX {"image" if magic == IMAGE_MAGIC else "label"} '
                        f'file (magic {data[:4].hex() or "missing"}, expected {magic:08x})')
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(magic & 0xff)]
    header = 4 + 4 * len(dims)
    size = int(np.prod(dims))
    if len(data) - header < size:
        raise DataError(f'{path}: truncated: its header states {dims} = {size} bytes of data, '
                        f'the file holds {len(data) - header}')
    return np.frombuffer(data, np.uint8, size, header).reshape(dims)


def pca_reconstruct(images: np.ndarray, keep: float = KEEP_FRACTION) -> np.ndarray:
    """Project flattened images onto their top ``keep`` share of principal components and back,
    without the mean (the generator's reconstruction).

    Args:
        images: (N, ...) array; flattened to (N, D).
        keep: Share of the D components kept (``int(D * keep)``).

    Returns:
        float32 (N, D): ``(X - mean) V V^T``, V the top components.
    """
    flat = images.reshape(len(images), -1).astype(np.float64)
    centred = flat - flat.mean(0)
    count = int(flat.shape[1] * keep)
    _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
    top = vectors[:, ::-1][:, :count]
    return ((centred @ top) @ top.T).astype(np.float32)


class Recording(NamedTuple):
    """One FSDD recording."""
    digit: int
    speaker: str
    index: int
    path: Path


def list_fsdd(recordings: Path) -> tuple[list[Recording], list[str]]:
    """The FSDD recordings of a ``recordings/`` folder, and the ``.wav`` names that are not one.

    Returns:
        (recordings sorted by digit, speaker, index; skipped file names).
    """
    found, skipped = [], []
    for path in sorted(recordings.iterdir()):
        if path.suffix.lower() != '.wav':
            continue
        match = FSDD_NAME.match(path.name)
        if match is None:
            skipped.append(path.name)
            continue
        found.append(Recording(int(match['digit']), match['speaker'], int(match['index']),
                               path))
    return sorted(found, key=lambda r: (r.digit, r.speaker, r.index)), skipped


def per_digit(recordings: Sequence[Recording], speakers: Sequence[str]) -> dict[int, list]:
    """Digit -> the speakers' recordings of it, in order.

    Raises:
        DataError: A digit has no recording of these speakers.
    """
    table = defaultdict(list)
    for recording in recordings:
        if recording.speaker in speakers:
            table[recording.digit].append(recording.path)
    empty = [digit for digit in range(10) if not table[digit]]
    if empty:
        raise DataError(f'no FSDD recording of digit(s) {empty} by speaker(s) {list(speakers)}')
    return dict(table)


def esc50_noises(esc50: Path, seed: int) -> list[Path]:
    """One clip per ESC-50 category (``target`` 0..49 of ``meta/esc50.csv``), drawn with
    ``numpy.random.default_rng(seed)``, in category order.

    Raises:
        DataError: The csv lacks its columns, or a category has no clip.
    """
    import csv
    table = esc50 / 'meta' / 'esc50.csv'
    by_target = defaultdict(list)
    with open(table, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        if not {'filename', 'target'} <= set(reader.fieldnames or ()):
            raise DataError(f'{table}: needs the columns filename and target, has '
                            f'{reader.fieldnames}')
        for line_no, row in enumerate(reader, start=2):
            try:
                by_target[int(row['target'])].append(row['filename'])
            except ValueError as error:
                raise DataError(f'{table}:{line_no}: target {row["target"]!r} is not an '
                                'integer') from error
    missing = [t for t in range(50) if not by_target[t]]
    if missing:
        raise DataError(f'{table}: no clip of category(ies) {missing}')
    rng = np.random.default_rng(seed)
    names = [sorted(by_target[t])[rng.integers(len(by_target[t]))] for t in range(50)]
    from fdkd_mm.datasets.safe_paths import resolve_inside
    return [Path(resolve_inside(str(esc50 / 'audio'), name, source=str(table)))
            for name in names]


def pair(labels: np.ndarray, recordings: dict[int, list], noises: Sequence) -> list[tuple]:
    """``(recording, noise)`` for each label: the digit's recordings and the noises cycling."""
    next_index = defaultdict(int)
    pairs = []
    for position, label in enumerate(labels):
        items = recordings[int(label)]
        pairs.append((items[next_index[label] % len(items)], noises[position % len(noises)]))
        next_index[label] += 1
    return pairs


def segment_layout(length: int, segments: int = SPEC_SIZE) -> tuple[int, int]:
    """The (segment length, overlap) the generator picks for a signal of ``length`` samples:
    the smallest segment length, then the smallest overlap, that give ``segments`` segments.

    Raises:
        ValueError: The signal is too short for that many segments.
    """
    for size in range(max(1, -(-length // segments) - 1), length + 1):
        # segments = (length - size) // (size - overlap) + 1 exactly when
        # (segments - 1) * step + size <= length < segments * step + size, step = size - overlap.
        overlap = max(0, -(-(segments * size - length) // (segments - 1)))
        if overlap < size and segments * (size - overlap) + size > length:
            return size, overlap
    raise ValueError(f'a signal of {length} samples cannot give {segments} segments')


def resample_noise(noise: np.ndarray, noise_rate: int, rate: int) -> np.ndarray:
    """``noise`` at ``rate``: ``scipy.signal.resample`` to ``ceil(len * rate / noise_rate)``
    samples (the generator's call), float64."""
    from scipy import signal
    return signal.resample(noise.astype(np.float64),
                           int(np.ceil(len(noise) / noise_rate * rate)))


def noisy_spectrogram(speech: np.ndarray, speech_rate: int, noise: np.ndarray,
                      noise_rate: int) -> np.ndarray:
    """The 112 x 112 power spectrogram of ``speech + 0.009 * noise`` (see the module docs).

    Args:
        speech: FSDD samples (raw 16-bit values).
        speech_rate: Their rate.
        noise: ESC-50 samples (raw 16-bit values), at ``noise_rate``.
        noise_rate: Its rate.

    Returns:
        float32 (112, 112).
    """
    from scipy import signal
    size, overlap = segment_layout(len(speech))  # of the speech as read, as the generator
    speech = speech.astype(np.float64)
    noise = noise.astype(np.float64)
    if noise_rate > speech_rate:
        noise = resample_noise(noise, noise_rate, speech_rate)
    elif speech_rate > noise_rate:
        speech = signal.resample(speech, int(np.ceil(len(speech) / speech_rate * noise_rate)))
    length = min(len(speech), len(noise))
    samples = speech[:length] + NOISE_POWER * noise[:length]
    _, _, power = signal.spectrogram(samples, fs=min(speech_rate, noise_rate), window='boxcar',
                                     nperseg=size, noverlap=overlap, nfft=NFFT)
    if power.shape != (SPEC_SIZE, SPEC_SIZE):
        raise ValueError(f'spectrogram of shape {power.shape}, expected 112 x 112 (a speech '
                         f'signal of {len(speech)} samples against {len(noise)} of noise)')
    return power.astype(np.float32)
