"""Frames by index and fixed-length audio, for converters that keep N frames of a clip window.

RAVDESS-style preprocessing keeps ``count`` frames spread evenly over the first ``window``
frames of a clip (frame ``i * window // count + window // (2 * count)``, the middle of each of
``count`` equal segments), and crops or zero-pads the audio to a fixed duration. Frames past
the end of a short clip come back as ``None`` (the caller pads them).
"""
from typing import Optional

import av
import numpy as np

from .media import CORRUPT, EMPTY, NO_VIDEO, ClipError, _open


def spread_indices(count: int, window: int) -> list[int]:
    """The middle frame of each of ``count`` equal segments of ``window`` frames.

    Args:
        count: Frames to keep.
        window: Frames the segments cover.

    Returns:
        ``count`` increasing indices in ``[0, window)``.
    """
    if not 0 < count <= window:
        raise ValueError(f'cannot spread {count} frames over {window}')
    return [i * window // count + window // (2 * count) for i in range(count)]


def frames_at_indices(path: str, indices: list[int]) -> tuple[list[Optional[np.ndarray]], int]:
    """Decode the frames of the given (0-based, decode-order) indices.

    Args:
        path: A video file.
        indices: Increasing frame indices.

    Returns:
        ``(frames, decoded)``: RGB uint8 (H, W, 3) arrays in the order of ``indices``,
        ``None`` where the video ends before the index; ``decoded`` counts the frames read.

    Raises:
        ClipError: Missing or unreadable file, no video stream, no frame decodes.
    """
    wanted = {index: position for position, index in enumerate(indices)}
    frames: list[Optional[np.ndarray]] = [None] * len(indices)
    last = max(indices)
    decoded = 0
    container = _open(path)
    with container:
        if not container.streams.video:
            raise ClipError(NO_VIDEO, f'{path}: has no video stream')
        try:
            for index, frame in enumerate(container.decode(container.streams.video[0])):
                decoded = index + 1
                if index in wanted:
                    frames[wanted[index]] = frame.to_ndarray(format='rgb24')
                if index >= last:
                    break
        except av.error.FFmpegError as error:
            raise ClipError(CORRUPT, f'{path}: decoding failed after {decoded} frames '
                                     f'({error})') from error
    if decoded == 0:
        raise ClipError(EMPTY, f'{path}: no video frame decodes')
    return frames, decoded


def crop_or_pad(samples: np.ndarray, length: int) -> np.ndarray:
    """``samples`` cut to ``length``: the centre of a longer signal (the odd sample dropped
    at the start), zeros appended to a shorter one.

    Args:
        samples: 1-D signal.
        length: Output length.

    Returns:
        Array of ``length`` samples, same dtype.
    """
    if len(samples) < length:
        return np.concatenate([samples, np.zeros(length - len(samples), samples.dtype)])
    start = (len(samples) - length) // 2
    return samples[start:start + length]
