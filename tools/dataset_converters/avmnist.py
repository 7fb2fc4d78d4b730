"""Generate AV-MNIST from its official sources, as MultiBench's generator does.

Inputs: ``--mnist`` (MNIST's four IDX files, ``train-images-idx3-ubyte``, ``train-labels-idx1-
ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each ``.gz`` or not),
``--fsdd`` (the Free Spoken Digit Dataset repository, its ``recordings/<digit>_<speaker>_
<index>.wav``), ``--esc50`` (the ESC-50 repository, ``meta/esc50.csv`` and ``audio/*.wav``).

Output ``OUT_ROOT`` (e.g. ``data/AV-MNIST``), MultiBench's layout, read by ``AVMNISTDataset``:
``image/{train,test}_data.npy`` (N, 784), ``audio/{train,test}_data.npy`` (N, 112, 112),
``{train,test}_labels.npy``. The rules (PCA keeping 196 of 784 components, FSDD speaker
split, one ESC-50 clip per category at amplitude 0.009, 112 x 112 spectrograms, pairing by
label) and where this converter fixes what the generator leaves to chance are documented in
``fdkd_mm/datasets/conversion/avmnist.py``.

Every array is written atomically; spectrograms in blocks of ``--block`` pairs, each kept
until the split's array is assembled, so a killed run resumes where it stopped. Unparseable
FSDD names are skipped and listed; a truncated IDX file or an unreadable wav is an error that
names the file.

Usage::

    python tools/dataset_converters/avmnist.py data/AV-MNIST --mnist MNIST \
        --fsdd free-spoken-digit-dataset --esc50 ESC-50 --workers 8
    python tools/dataset_converters/avmnist.py data/AV-MNIST --verify
"""
import argparse
import functools
import shutil
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from scipy.io import wavfile

from fdkd_mm.datasets.conversion import avmnist as gen
from fdkd_mm.datasets.conversion.media import ClipError
from fdkd_mm.datasets.conversion.outputs import write_npy
from fdkd_mm.datasets.conversion.runner import CONVERTED, SKIPPED, ClipResult, run_clips
from fdkd_mm.errors import DataError

IDX = dict(train=('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
           test=('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'))
UNREADABLE = 'unreadable wav'


def idx_path(folder: Path, stem: str) -> Path:
    """``stem`` or ``stem.gz`` in ``folder``."""
    for name in (stem, f'{stem}.gz'):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f'MNIST file {stem}[.gz] not found in {folder}')


@functools.lru_cache(maxsize=64)
def read_mono(path: str) -> tuple[int, np.ndarray]:
    """A mono wav's rate and samples (cached: recordings and noises repeat)."""
    try:
        rate, samples = wavfile.read(path)
    except (ValueError, OSError) as error:
        raise ClipError(UNREADABLE, f'{path}: cannot be read as a wav ({error})') from error
    if samples.ndim != 1 or samples.size == 0:
        raise ClipError(UNREADABLE, f'{path}: expected mono samples, got shape {samples.shape}')
    return rate, samples


@functools.lru_cache(maxsize=64)
def noise_at(path: str, rate: int) -> np.ndarray:
    """An ESC-50 clip resampled to ``rate`` once per process (each is reused for thousands of
    pairs; resampling a 5 s clip costs more than the spectrogram)."""
    noise_rate, noise = read_mono(path)
    return gen.resample_noise(noise, noise_rate, rate) if noise_rate > rate else noise


def convert_block(out_root: Path, item: tuple) -> ClipResult:
    """Spectrograms of one block of pairs, written to the split's parts folder."""
    block_id, split, start, pairs = item
    part = out_root / 'audio' / f'.parts-{split}' / f'{start:06d}.npy'
    if part.is_file():
        return ClipResult(block_id, SKIPPED)
    specs = []
    for speech_path, noise_path in pairs:
        speech_rate, speech = read_mono(str(speech_path))
        noise_rate = read_mono(str(noise_path))[0]
        rate = min(speech_rate, noise_rate)
        try:
            specs.append(gen.noisy_spectrogram(speech, speech_rate,
                                               noise_at(str(noise_path), rate), rate))
        except ValueError as error:
            raise ClipError('bad recording', f'{speech_path}: {error}') from error
    write_npy(part, np.stack(specs))
    return ClipResult(block_id, CONVERTED)


def write_images(args: argparse.Namespace) -> dict[str, np.ndarray]:
    """Labels and PCA images of both splits (skipping complete outputs); the labels."""
    labels = {}
    for split, (images_stem, labels_stem) in IDX.items():
        label_file = args.out_root / f'{split}_labels.npy'
        image_file = args.out_root / 'image' / f'{split}_data.npy'
        if label_file.is_file() and image_file.is_file():
            labels[split] = np.load(label_file, allow_pickle=False)
            continue
        images = gen.read_idx(idx_path(args.mnist, images_stem), gen.IMAGE_MAGIC)
        digits = gen.read_idx(idx_path(args.mnist, labels_stem), gen.LABEL_MAGIC)
        if len(images) != len(digits):
            raise DataError(f'{args.mnist}: {len(images)} {split} images but {len(digits)} '
                            'labels')
        print(f'{split}: {len(images)} images, PCA keeping {int(784 * gen.KEEP_FRACTION)} '
              'components')
        write_npy(image_file, gen.pca_reconstruct(images))
        write_npy(label_file, digits)
        labels[split] = digits
    return labels


def write_audio(args: argparse.Namespace, labels: dict) -> int:
    """Spectrograms of both splits in blocks, then each split's array; the exit status."""
    recordings, skipped = gen.list_fsdd(args.fsdd / 'recordings')
    if skipped:
        print(f'{len(skipped)} FSDD file(s) not named <digit>_<speaker>_<index>.wav skipped: '
              f'{", ".join(skipped[:10])}')
    noises = gen.esc50_noises(args.esc50, args.seed)
    speakers = dict(train=gen.TRAIN_SPEAKERS, test=(gen.TEST_SPEAKER, ))
    noise_sets = dict(train=noises[:gen.NUM_TRAIN_NOISES], test=noises[gen.NUM_TRAIN_NOISES:])
    items = []
    for split in ('train', 'test'):
        if (args.out_root / 'audio' / f'{split}_data.npy').is_file():
            continue
        pairs = gen.pair(labels[split], gen.per_digit(recordings, speakers[split]),
                         noise_sets[split])
        items += [(f'{split}:{start}', split, start, pairs[start:start + args.block])
                  for start in range(0, len(pairs), args.block)]
    summary = run_clips(items, functools.partial(convert_block, args.out_root), args.workers,
                        desc='AV-MNIST audio', show_progress=not args.no_progress)
    summary.report('AV-MNIST audio blocks', args.out_root)
    if summary.failed:
        return 1
    for split in sorted({item[1] for item in items}):
        parts = args.out_root / 'audio' / f'.parts-{split}'
        blocks = [np.load(path, allow_pickle=False) for path in sorted(parts.glob('*.npy'))]
        write_npy(args.out_root / 'audio' / f'{split}_data.npy', np.concatenate(blocks))
        shutil.rmtree(parts)
    return 0


def verify(args: argparse.Namespace) -> int:
    """Build each split as the configs do; print counts per class; check the arrays' values."""
    from fdkd_mm.datasets import AVMNISTDataset
    from fdkd_mm.datasets.conversion.verify import print_counts
    problems = []
    for split in ('train', 'val', 'test'):
        try:
            dataset = AVMNISTDataset(data_root=str(args.out_root), split=split,
                                     val_size=args.val_size)
        except DataError as error:
            problems.append(f'{split}: {error}')
            continue
        labels = [dict(gt_label=int(label)) for label in dataset.get_gt_labels()]
        print_counts(split, dataset, 'pairs', sys.stdout, labels)
    for split in ('train', 'test'):
        for modality in ('image', 'audio'):
            path = args.out_root / modality / f'{split}_data.npy'
            if path.is_file():
                array = np.load(path, mmap_mode='r', allow_pickle=False)
                bad = [i for i in range(0, len(array), 4096)
                       if not np.isfinite(array[i:i + 4096]).all()]
                if bad:
                    problems.append(f'{path}: non-finite values from row {bad[0]}')
    for problem in problems:
        print(f'  {problem}')
    print('AV-MNIST: layout OK' if not problems else f'AV-MNIST: {len(problems)} problem(s)')
    return 1 if problems else 0


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line (``argv`` without the program name; ``None``: ``sys.argv``)."""
    parser = argparse.ArgumentParser(description='Generate AV-MNIST from MNIST, FSDD and ESC-50.')
    parser.add_argument('out_root', type=Path, help='output root, e.g. data/AV-MNIST')
    parser.add_argument('--mnist', type=Path, help='folder of the four MNIST IDX files')
    parser.add_argument('--fsdd', type=Path, help='the FSDD repository (recordings/)')
    parser.add_argument('--esc50', type=Path, help='the ESC-50 repository (meta/, audio/)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the draw of one ESC-50 clip per category (default 0)')
    parser.add_argument('--block', type=int, default=2000,
                        help='pairs per spectrogram block (the unit of resuming)')
    parser.add_argument('--workers', type=int, default=1, help='processes (default 1)')
    parser.add_argument('--val-size', type=int, default=5000,
                        help='with --verify: training pairs held out for validation (5000)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    parser.add_argument('--verify', action='store_true',
                        help='only check an existing OUT_ROOT; generate nothing')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Generate (or ``--verify``) from the command line; 0 on success, 1 on a problem."""
    args = parse_args(argv)
    if args.verify:
        return verify(args)
    missing = [f'--{name}' for name in ('mnist', 'fsdd', 'esc50') if getattr(args, name) is None]
    if missing:
        print(f'error: {", ".join(missing)} needed to generate AV-MNIST', file=sys.stderr)
        return 1
    try:
        labels = write_images(args)
        return write_audio(args, labels)
    except (DataError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
