"""Decoders of the manifest modality kinds: one file (or cell) in, one numpy array out.

Every decoder raises :class:`~fdkd_mm.errors.DataError` naming the file; the caller
(``fdkd_mm.LoadModality``) adds the manifest row and column.
"""
import os.path as osp
from typing import Optional

import cv2
import numpy as np

from fdkd_mm.errors import DataError


def decode_image(path: str, kind: str, unit_scale: float = 1000.0,
                 max_value: Optional[float] = None) -> np.ndarray:
    """Read an image of kind ``image`` (H, W, 3 uint8 BGR), ``grey`` (H, W uint8) or
    ``depth`` (H, W float32 = raw 16-bit value / ``unit_scale``).

    Args:
        path: The image file (PNG, JPEG, TIFF, ...).
        kind: ``'image'``, ``'grey'`` or ``'depth'``.
        unit_scale: Raw units per output unit for ``depth`` (1000: millimetres to metres;
            for thermal images e.g. 100 for centi-kelvin).
        max_value: Clip ``depth`` values above this (None: no clipping).

    Returns:
        The decoded array.

    Raises:
        DataError: Missing or undecodable file, or a ``depth`` file that is not one 16-bit
            (or float) channel.
    """
    if not osp.isfile(path):
        raise DataError(f'{path}: no such file')
    flag = dict(image=cv2.IMREAD_COLOR, grey=cv2.IMREAD_GRAYSCALE,
                depth=cv2.IMREAD_UNCHANGED)[kind]
    array = cv2.imread(path, flag)
    if array is None:
        raise DataError(f'{path}: cannot be decoded (empty, truncated or not an image)')
    if kind != 'depth':
        return array
    if array.ndim != 2 or array.dtype not in (np.uint16, np.float32):
        raise DataError(f'{path}: a depth / thermal map must be one 16-bit (or float32) '
                        f'channel, got dtype {array.dtype}, shape {array.shape}')
    depth = array.astype(np.float32) / np.float32(unit_scale)
    if max_value is not None:
        np.minimum(depth, np.float32(max_value), out=depth)
    return depth


def decode_npy(path: str) -> np.ndarray:
    """Read a ``.npy`` array as float32 (pickled object arrays are refused).

    Args:
        path: The ``.npy`` file.

    Returns:
        The array, float32.

    Raises:
        DataError: Missing, not a ``.npy`` file, an object array, or non-finite values.
    """
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError as error:
        raise DataError(f'{path}: no such file') from error
    except ValueError as error:  # object arrays need pickle: never allowed
        raise DataError(f'{path}: holds pickled objects, refused ({error})') from error
    except (OSError, EOFError) as error:
        raise DataError(f'{path}: not a readable .npy array ({error})') from error
    if not np.issubdtype(array.dtype, np.number) and array.dtype != np.bool_:
        raise DataError(f'{path}: dtype {array.dtype} is not numeric')
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise DataError(f'{path}: holds NaN or infinite values')
    return array


def decode_audio(path: str, sample_rate: int) -> np.ndarray:
    """Decode the first audio stream of any file PyAV reads (wav, flac, mp3, a video's
    track) as mono float32 in [-1, 1] at ``sample_rate`` (FFmpeg's resampler).

    Args:
        path: The audio (or video) file.
        sample_rate: Output rate in Hz.

    Returns:
        float32 samples, shape (L,).

    Raises:
        DataError: Missing, undecodable, or without an audio stream.
    """
    from fdkd_mm.datasets.conversion.media import ClipError, audio_track
    from fdkd_mm.datasets.transforms.audio import pcm_to_float
    try:
        return pcm_to_float(audio_track(path, sample_rate))
    except ClipError as error:
        raise DataError(error.message) from error


def decode_video(path: str, num_frames: int, random: bool) -> np.ndarray:
    """``num_frames`` RGB frames of a frame folder or a video file, one per equal segment.

    Args:
        path: A folder of ``.jpg`` / ``.png`` frames (natural order) or a video file
            (decoded at one frame per second with PyAV).
        num_frames: Frames wanted (T).
        random: A random frame per segment (training) instead of its middle one.

    Returns:
        uint8 array (T, H, W, 3), RGB.

    Raises:
        DataError: Missing, empty or undecodable, or frames of different sizes.
    """
    from fdkd_mm.datasets.transforms.frames import list_frames, segment_indices
    if osp.isdir(path):
        try:
            files = list_frames(path)
        except FileNotFoundError as error:
            raise DataError(str(error)) from error
        picks = segment_indices(len(files), num_frames, random)
        frames = []
        for index in picks:
            frame = cv2.imread(files[index], cv2.IMREAD_COLOR)
            if frame is None:
                raise DataError(f'{files[index]}: frame cannot be decoded')
            frames.append(np.ascontiguousarray(frame[..., ::-1]))
    else:
        from fdkd_mm.datasets.conversion.media import ClipError, frames_per_second
        try:
            decoded = frames_per_second(path, offset=0.0)
        except ClipError as error:
            raise DataError(error.message) from error
        frames = [decoded[i] for i in segment_indices(len(decoded), num_frames, random)]
    shapes = {frame.shape for frame in frames}
    if len(shapes) > 1:
        raise DataError(f'{path}: frames of different sizes {sorted(shapes)}')
    return np.stack(frames)
