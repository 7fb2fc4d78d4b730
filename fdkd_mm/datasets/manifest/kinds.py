"""Modality kinds of manifest columns and the default kind of a file by its type.

Kinds: ``image`` (colour, uint8 BGR as OpenCV decodes it), ``grey`` (one uint8 channel),
``depth`` (one 16-bit channel, depth or thermal, divided by a unit scale to float32), ``npy``
(a numpy array: features, point-cloud projections, spectrograms), ``audio`` (any file PyAV
decodes, resampled, turned into a log spectrogram), ``video`` (a folder of frames or a video
file PyAV decodes) and ``text`` (the cell itself, tokenised).
"""
import os.path as osp

import cv2
import numpy as np

from fdkd_mm.errors import DataError

KINDS = ('image', 'grey', 'depth', 'npy', 'audio', 'video', 'text')
#: Kinds whose samples are pixel grids (resized and flipped together).
PIXEL_KINDS = ('image', 'grey', 'depth')
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
AUDIO_SUFFIXES = ('.wav', '.flac', '.mp3', '.ogg', '.m4a', '.aac', '.opus')
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.flv')


def kind_of_image(path: str) -> str:
    """``depth`` for a 16-bit single-channel image, ``grey`` for 8-bit single, else ``image``.

    Args:
        path: An image file.

    Returns:
        The kind.

    Raises:
        DataError: The file does not decode as an image.
    """
    array = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if array is None:
        raise DataError(f'{path}: cannot be decoded as an image')
    if array.dtype == np.uint16 and array.ndim == 2:
        return 'depth'
    if array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 1):
        return 'grey'
    return 'image'


def default_kind(value: str, full_path: str) -> str:
    """The kind a column gets when its config leaves it to the data: by the file's type.

    Args:
        value: The cell as written in the manifest.
        full_path: The cell joined onto the data root.

    Returns:
        One of :data:`KINDS`; ``text`` when the cell is neither a known file type nor a folder.
    """
    suffix = osp.splitext(value)[1].lower()
    if suffix in IMAGE_SUFFIXES:
        return kind_of_image(full_path)
    if suffix == '.npy':
        return 'npy'
    if suffix in AUDIO_SUFFIXES:
        return 'audio'
    if suffix in VIDEO_SUFFIXES or osp.isdir(full_path):
        return 'video'
    return 'text'


def is_file_like(value: str) -> bool:
    """Whether a cell names a file of a known type (or a folder: ends with a slash)."""
    suffix = osp.splitext(value)[1].lower()
    return (value.endswith(('/', '\\')) or suffix == '.npy'
            or suffix in IMAGE_SUFFIXES + AUDIO_SUFFIXES + VIDEO_SUFFIXES)
