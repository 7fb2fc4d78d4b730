"""Convert the official NYU-Depth V2 labelled set into the layout ``NYUDepthV2Dataset`` reads.

Inputs (all from the official NYU-Depth V2 / Gupta et al. releases):

* ``nyu_depth_v2_labeled.mat`` -- MATLAB v7.3, i.e. HDF5, read with h5py. MATLAB writes
  arrays column-major, so h5py sees every dimension reversed: ``images`` is (N, 3, W, H)
  uint8 RGB, ``depths`` is (N, W, H) float metres, ``labels`` is (N, W, H) uint16 with 894
  classes and 0 = unlabelled. MATLAB's ``images(r, c, ch, n)`` is ``images[n-1, ch-1, c-1,
  r-1]`` here, so one frame is transposed back to (H, W) = (480, 640). Its ``scenes`` cell
  array (the room of each frame, e.g. ``bedroom_0050``; references to uint16 character arrays
  in HDF5) is written to ``scenes.txt`` when present.
* ``splits.mat`` -- MATLAB 5 file (scipy.io.loadmat) with ``trainNdxs`` (795) and
  ``testNdxs`` (654), 1-based frame indices, stored as column vectors.
* ``classMapping40.mat`` -- MATLAB 5 file with ``mapClass``, a 1x894 array mapping each of the
  894 classes to 1..40 (and ``className``, the 40 names).

Output under ``out_root``: ``{train,test}/rgb/<id>.png`` (8-bit colour),
``{train,test}/depth/<id>.png`` (uint16 millimetres), ``{train,test}/labels_40/<id>.png``
(uint8, 0 = void, 1..40), ``train.txt`` / ``test.txt`` and ``scenes.txt`` (``<id> <scene>``
per line, for splitting by room), where ``<id>`` is the 1-based frame index, zero-padded to 4
digits.

Usage::

    python tools/dataset_converters/nyu_depth_v2.py nyu_depth_v2_labeled.mat splits.mat \
        classMapping40.mat data/nyu_depth_v2
"""
import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

import cv2
import h5py
import numpy as np
import scipy.io
from tqdm import tqdm

LABELED_KEYS = ('images', 'depths', 'labels')
MAX_DEPTH_M = 10.0  # the clip LoadDepthFromFile applies, used for the statistics printed


def _require_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise FileNotFoundError(f'{what} not found: {path}')


def _load_mat_keys(path: Path, *keys: str) -> list:
    """Read numeric variables of a MATLAB 5 file, naming file and key when one is bad."""
    _require_file(path, 'MATLAB file')
    try:
        content = scipy.io.loadmat(str(path))
    except Exception as error:  # scipy raises ValueError, MatReadError, IndexError, ...
        raise ValueError(f'{path} is not a readable MATLAB 5 file: {error}') from error
    missing = [key for key in keys if key not in content]
    if missing:
        found = sorted(name for name in content if not name.startswith('__'))
        raise KeyError(f'{path} has no variable(s) {missing} (it has {found})')
    values = [np.asarray(content[key]) for key in keys]
    for key, value in zip(keys, values):
        if not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
            raise ValueError(f'{path}: variable {key!r} must be numeric, got {value.dtype} '
                             f'{value.shape}')
    return values


def load_splits(path: Path, num_frames: int) -> dict:
    """Read ``trainNdxs`` / ``testNdxs`` of ``splits.mat`` as 1-based index arrays.

    Args:
        path: ``splits.mat``.
        num_frames: Number of frames in the labelled set, to range-check the indices.

    Returns:
        ``{'train': ndarray, 'test': ndarray}`` of 1-based frame indices.
    """
    splits = {}
    keys = ('trainNdxs', 'testNdxs')
    for split, key, raw in zip(('train', 'test'), keys, _load_mat_keys(path, *keys)):
        indices = raw.reshape(-1).astype(np.int64)
        if indices.size == 0 or indices.min() < 1 or indices.max() > num_frames:
            raise ValueError(f'{path}: {key} must hold 1-based indices in 1..{num_frames}, '
                             f'got {indices.size} values in '
                             f'[{indices.min(initial=0)}, {indices.max(initial=0)}]')
        splits[split] = indices
    overlap = np.intersect1d(splits['train'], splits['test'])
    if overlap.size:
        raise ValueError(f'{path}: {overlap.size} frames are in both splits, e.g. {overlap[:5]}')
    return splits


def load_class_lut(path: Path) -> np.ndarray:
    """Build a lookup table from the 894 raw classes (0 = unlabelled) to 0..40.

    Args:
        path: ``classMapping40.mat``.

    Returns:
        uint8 array of length 895; entry ``k`` is the 40-class label of raw class ``k``.
    """
    mapping = _load_mat_keys(path, 'mapClass')[0].reshape(-1)
    if mapping.size == 0 or mapping.min() < 0 or mapping.max() > 40:
        raise ValueError(f'{path}: mapClass must map to 0..40, got values in '
                         f'[{mapping.min(initial=0)}, {mapping.max(initial=0)}]')
    return np.concatenate([[0], mapping]).astype(np.uint8)


def _open_labeled(path: Path) -> h5py.File:
    _require_file(path, 'labelled set')
    try:
        labeled = h5py.File(str(path), 'r')
    except OSError as error:
        raise ValueError(f'{path} is not a MATLAB v7.3 (HDF5) file: {error}') from error
    missing = [key for key in LABELED_KEYS if key not in labeled]
    if missing:
        found = sorted(labeled.keys())
        labeled.close()
        raise KeyError(f'{path} has no dataset(s) {missing} (it has {found})')
    images, depths, labels = (labeled[key] for key in LABELED_KEYS)
    for key, kind in zip(LABELED_KEYS, ('u', 'f', 'ui')):
        if labeled[key].dtype.kind not in kind:
            dtype = labeled[key].dtype
            labeled.close()
            raise ValueError(f'{path}: dataset {key!r} has dtype {dtype}; the official file '
                             'stores images as uint8, depths as float, labels as integers')
    if images.ndim != 4 or images.shape[1] != 3:
        labeled.close()
        raise ValueError(f'{path}: images must be stored (N, 3, W, H), got {images.shape}')
    expected = (images.shape[0], images.shape[2], images.shape[3])
    if depths.shape != expected or labels.shape != expected:
        labeled.close()
        raise ValueError(f'{path}: depths {depths.shape} and labels {labels.shape} must be '
                         f'{expected} to match images {images.shape}')
    return labeled


def load_scenes(labeled: h5py.File, path: Path) -> Optional[list]:
    """The scene name of every frame, from the ``scenes`` cell array; ``None`` without one.

    Args:
        labeled: The open labelled set.
        path: Its path, for messages.

    Returns:
        One name per frame, in frame order.

    Raises:
        ValueError: When ``scenes`` does not hold one character array per frame.
    """
    if 'scenes' not in labeled:
        return None
    refs = np.asarray(labeled['scenes']).reshape(-1)
    if refs.size != labeled['images'].shape[0]:
        raise ValueError(f'{path}: scenes holds {refs.size} entries for '
                         f'{labeled["images"].shape[0]} frames')
    names = []
    for frame, ref in enumerate(refs):
        try:
            chars = np.asarray(labeled[ref]).reshape(-1)
        except (TypeError, ValueError, KeyError) as error:
            raise ValueError(f'{path}: scenes[{frame}] is not a reference to a character '
                             f'array: {error}') from error
        name = ''.join(chr(int(c)) for c in chars)
        if not name or any(ch.isspace() for ch in name):
            raise ValueError(f'{path}: scenes[{frame}] is {name!r}; expected a name such as '
                             'bedroom_0050')
        names.append(name)
    return names


def convert_frame(image: np.ndarray, depth: np.ndarray, label: np.ndarray,
                  lut: np.ndarray) -> tuple:
    """Turn one frame as h5py reads it into the arrays written to disk.

    Args:
        image: (3, W, H) uint8 RGB.
        depth: (W, H) float metres.
        label: (W, H) raw class ids (0..894).
        lut: Raw class -> 40-class lookup table from :func:`load_class_lut`.

    Returns:
        ``(bgr, depth_mm, label40)``: (H, W, 3) uint8 in OpenCV's BGR order, (H, W) uint16
        millimetres and (H, W) uint8 labels.
    """
    rgb = np.transpose(image, (2, 1, 0))
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    depth_mm = np.clip(np.rint(np.asarray(depth, np.float64).T * 1000), 0, 65535)
    label = np.asarray(label).T
    if label.max() >= lut.size:
        raise ValueError(f'field "labels": raw label {label.max()} is beyond the '
                         f'{lut.size - 1} classes of mapClass')
    return bgr, depth_mm.astype(np.uint16), lut[label]


def _read_frame(labeled: h5py.File, path: Path, frame: int) -> list:
    """The three arrays of one frame; a failed HDF5 read names the file, field and frame."""
    arrays = []
    for key in LABELED_KEYS:
        try:
            arrays.append(labeled[key][frame])
        except (OSError, ValueError, KeyError) as error:  # a corrupt chunk, a short file
            raise ValueError(f'{path}: cannot read {key}[{frame}] (frame {frame + 1}): '
                             f'{error}') from error
    return arrays


def _write_image(path: Path, array: np.ndarray) -> None:
    """``cv2.imwrite`` returns False (a full disk, no permission) instead of raising."""
    try:
        written = cv2.imwrite(str(path), array)
    except cv2.error as error:
        raise OSError(f'cannot write {path}: {error}') from error
    if not written:
        raise OSError(f'cannot write {path} (disk full or not writable?)')


def convert_nyu_depth_v2(labeled_mat: Path, splits_mat: Path, mapping_mat: Path,
                         out_root: Path, show_progress: bool = True) -> dict:
    """Write the labelled set into ``out_root`` in the ``NYUDepthV2Dataset`` layout.

    Args:
        labeled_mat: ``nyu_depth_v2_labeled.mat``.
        splits_mat: ``splits.mat``.
        mapping_mat: ``classMapping40.mat``.
        out_root: Output directory.
        show_progress: Show a tqdm progress bar per split.

    Returns:
        ``dict(train=count, test=count, scenes=written, depth_mean=m, depth_std=s)``
        (``scenes``: whether ``scenes.txt`` was written); the statistics are of
        the training depths in metres, clipped at 10 m as ``LoadDepthFromFile`` does, for
        the data preprocessor's mean/std.
    """
    labeled_mat, splits_mat, mapping_mat = map(Path, (labeled_mat, splits_mat, mapping_mat))
    out_root = Path(out_root)
    for path, what in ((labeled_mat, 'labelled set'), (splits_mat, 'split file'),
                       (mapping_mat, 'class mapping')):
        _require_file(path, what)
    lut = load_class_lut(mapping_mat)
    result = {}
    with _open_labeled(labeled_mat) as labeled:
        splits = load_splits(splits_mat, labeled['images'].shape[0])
        scenes = load_scenes(labeled, labeled_mat)
        depth_sum = depth_sq_sum = depth_count = 0.0
        for split, indices in splits.items():
            dirs = {sub: out_root / split / sub for sub in ('rgb', 'depth', 'labels_40')}
            for directory in dirs.values():
                directory.mkdir(parents=True, exist_ok=True)
            ids = []
            for index in tqdm(indices, desc=f'NYU-Depth V2 {split}', unit='frame',
                              disable=not show_progress):
                frame = int(index) - 1
                arrays = _read_frame(labeled, labeled_mat, frame)  # its errors name the file
                try:
                    bgr, depth_mm, label = convert_frame(*arrays, lut)
                except ValueError as error:
                    raise ValueError(f'{labeled_mat}, frame {frame + 1}: {error}') from error
                sample_id = f'{int(index):04d}'
                _write_image(dirs['rgb'] / f'{sample_id}.png', bgr)
                _write_image(dirs['depth'] / f'{sample_id}.png', depth_mm)
                _write_image(dirs['labels_40'] / f'{sample_id}.png', label)
                ids.append(sample_id)
                if split == 'train':
                    metres = np.minimum(depth_mm / 1000.0, MAX_DEPTH_M)
                    depth_sum += metres.sum()
                    depth_sq_sum += np.square(metres).sum()
                    depth_count += metres.size
            split_file = out_root / f'{split}.txt'
            try:
                split_file.write_text('\n'.join(ids) + '\n')
            except OSError as error:
                raise OSError(f'cannot write {split_file}: {error.strerror or error}') from error
            result[split] = len(ids)
        if scenes is not None:
            lines = [f'{int(index):04d} {scenes[int(index) - 1]}\n'
                     for split_indices in splits.values() for index in sorted(split_indices)]
            (out_root / 'scenes.txt').write_text(''.join(lines))
        result['scenes'] = scenes is not None
    mean = depth_sum / depth_count
    result['depth_mean'] = float(mean)
    result['depth_std'] = float(np.sqrt(max(depth_sq_sum / depth_count - mean ** 2, 0.0)))
    return result


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns:
        The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Convert NYU-Depth V2 (labelled set, 40 classes) to PNG files and splits.')
    parser.add_argument('labeled_mat', type=Path, help='nyu_depth_v2_labeled.mat (v7.3)')
    parser.add_argument('splits_mat', type=Path, help='splits.mat (trainNdxs, testNdxs)')
    parser.add_argument('mapping_mat', type=Path, help='classMapping40.mat (mapClass)')
    parser.add_argument('out_root', type=Path, help='output directory, e.g. data/nyu_depth_v2')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the converter from the command line.

    Args:
        argv: Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns:
        Exit status: 0 on success, 1 when an input is missing or malformed.
    """
    args = parse_args(argv)
    try:
        result = convert_nyu_depth_v2(args.labeled_mat, args.splits_mat, args.mapping_mat,
                                      args.out_root, show_progress=not args.no_progress)
    except (OSError, KeyError, ValueError) as error:  # FileNotFoundError is an OSError
        # KeyError's str() is the repr of its message; show the message itself.
        message = error.args[0] if error.args else error
        print(f'error: {message}', file=sys.stderr)
        return 1
    print(f"wrote {result['train']} train and {result['test']} test frames to {args.out_root}")
    if not result['scenes']:
        print('the labelled set has no scenes field: no scenes.txt written (splitting into '
              "unpaired parts by room needs it; group_by='sample' works without)")
    print(f"training depth (m, clipped at {MAX_DEPTH_M:g}): mean {result['depth_mean']:.3f}, "
          f"std {result['depth_std']:.3f} -- use them as the depth data preprocessor's "
          'mean/std')
    return 0


if __name__ == '__main__':
    from fdkd_mm.tool_errors import run_tool
    run_tool(main)
