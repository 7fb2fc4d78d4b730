"""What can be wrong with a clip's audio file and frame folder, in messages that name the file.

Used by the datasets to explain a failed sample (``skip_bad_samples``) and by the dataset
converters' ``--verify`` pass, so both report the same faults in the same words.
"""
import os
import os.path as osp
from typing import List, Optional

import cv2
import numpy as np
from scipy.io import wavfile

from fdkd_mm.checkpoint.array_pickle import UnsafePickleError, load_array_pickle
from fdkd_mm.datasets.transforms.frames import IMAGE_SUFFIXES


def _spectrogram_problems(path: str, spec) -> List[str]:
    array = np.asarray(spec)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
        return [f'{path}: expected a numeric (freq, time) spectrogram, got '
                f'{array.dtype} of shape {array.shape}']
    if not np.isfinite(array).all():
        return [f'{path}: spectrogram holds non-finite values']
    return []


def audio_file_problems(path: str, sample_rate: Optional[int] = None,
                        spectrogram_shape: Optional[tuple] = None) -> List[str]:
    """Check a clip's audio: a wav (readable, not empty) or a ``.pkl`` / ``.npy`` spectrogram.

    Args:
        path: The audio file.
        sample_rate: For wavs, the rate the file must have (``None``: any).
        spectrogram_shape: For spectrograms, the (freq, time) shape it must have (``None``: any
            2-D shape).

    Returns:
        One message per problem, each starting with the path; empty when the file is fine.
    """
    if not osp.isfile(path):
        return [f'{path}: missing (audio)']
    suffix = osp.splitext(path)[1].lower()
    try:
        if suffix == '.wav':
            rate, samples = wavfile.read(path)
        elif suffix == '.npy':
            spec = np.load(path, allow_pickle=False)
        elif suffix == '.pkl':
            spec = load_array_pickle(path)
        else:
            return [f'{path}: unknown audio suffix {suffix!r} (expected .wav, .pkl or .npy)']
    except UnsafePickleError as err:  # not "truncated": it names what it refused to call
        return [f'{path}: unsafe pickle, not read ({err})']
    except Exception as err:  # each reader has its own errors; all mean "unreadable"
        return [f'{path}: cannot be read, truncated or not a {suffix[1:]} file ({err})']
    if suffix == '.wav':
        if samples.size == 0:
            return [f'{path}: wav has no samples']
        if sample_rate is not None and rate != sample_rate:
            return [f'{path}: wav at {rate} Hz, expected {sample_rate} Hz']
        return []
    problems = _spectrogram_problems(path, spec)
    if not problems and spectrogram_shape is not None:
        shape = np.asarray(spec).shape[-2:]
        if tuple(shape) != tuple(spectrogram_shape):
            problems.append(f'{path}: spectrogram of shape {tuple(shape)}, expected '
                            f'{tuple(spectrogram_shape)}')
    return problems


def frame_dir_problems(frame_dir: str) -> List[str]:
    """Check a clip's frame folder: present, holds images, each decodes, all of one size.

    Args:
        frame_dir: The folder of the clip's frames.

    Returns:
        One message per problem, each naming the folder or frame; empty when all is fine.
    """
    if not osp.isdir(frame_dir):
        return [f'{frame_dir}: frame folder missing']
    names = sorted(name for name in os.listdir(frame_dir)
                   if name.lower().endswith(IMAGE_SUFFIXES))
    if not names:
        return [f'{frame_dir}: frame folder holds no {"/".join(IMAGE_SUFFIXES)} image']
    problems, first_shape = [], None
    for name in names:
        path = osp.join(frame_dir, name)
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            problems.append(f'{path}: cannot be decoded, truncated or not an image (frame)')
        elif first_shape is None:
            first_shape = image.shape
        elif image.shape != first_shape:
            problems.append(f'{path}: frame of shape {image.shape}, the first frame '
                            f'{first_shape}')
    return problems
