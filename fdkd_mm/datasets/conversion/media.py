"""Frames at 1 fps and the audio track of a video file, decoded with PyAV.

PyAV (``av`` on PyPI) wraps FFmpeg's libraries and ships them inside its wheels, codecs
included, so no system ffmpeg is needed.

**Frame times.** The public preprocessing keeps one frame per second of video. This module
takes frame ``k`` (``k = 0, 1, ...``) at ``t_k = k + offset`` seconds, measured from the first
decoded frame, for every ``t_k`` before the end of the video (the last frame's time plus one
frame period), and at least one frame. The frame taken is the decoded frame whose presentation
time is nearest to ``t_k`` (the earlier one on a tie; frames past the end of the stream repeat
the last one). ``offset=0`` is the first frame of every second, what OGM-GE's CREMA-D and
VGGSound scripts keep (frame index a multiple of the integer frame rate); ``offset=0.5`` is the
middle of every second, what OGM-GE's AVE script keeps (frame ``round((k + 0.5) * fps)``).
Using timestamps rather than frame counts keeps 29.97 fps videos on whole seconds.

**Audio.** The first audio stream is decoded and converted by FFmpeg's libswresample
(``av.AudioResampler``), exactly what ``ffmpeg -i clip -ac 1 -ar RATE -acodec pcm_s16le`` in the
public scripts does: 16-bit mono at the requested rate, channels averaged.
"""
import os.path as osp
from typing import Optional

import numpy as np

try:
    import av
except ImportError as error:  # the dataset converters are the only users
    raise ImportError('the dataset converters decode video with PyAV: pip install av '
                      '(requirements/runtime.txt)') from error

#: Failure categories of the conversion summary.
MISSING = 'missing video'
CORRUPT = 'corrupt or unreadable video'
NO_VIDEO = 'no video stream'
EMPTY = 'empty video (no frame decodes)'
TRUNCATED = 'truncated video'
NO_AUDIO = 'no audio stream'
EMPTY_AUDIO = 'empty audio (no sample decodes)'
#: Frames this close to equally near a target count as a tie (timestamps are rounded).
TIE_TOLERANCE_S = 1e-6
#: A video counts as truncated when its frames end this much before its header's duration:
#: the larger of an absolute and a relative slack (headers round, streams differ slightly).
TRUNCATION_SLACK_S = 0.5
TRUNCATION_SLACK_RATIO = 0.1


class ClipError(Exception):
    """A clip that cannot be converted.

    Args:
        category: The failure group shown in the summary (one of the module's constants, or
            a converter's own).
        message: What is wrong, naming the file.
    """

    def __init__(self, category: str, message: str) -> None:
        super().__init__(message)
        self.category = category
        self.message = message


def _open(path: str) -> 'av.container.InputContainer':
    if not osp.isfile(path):
        raise ClipError(MISSING, f'{path}: no such file')
    try:
        return av.open(path)
    except av.error.FFmpegError as error:
        raise ClipError(CORRUPT, f'{path}: cannot be opened ({error})') from error


def _frame_period(stream) -> float:
    rate = stream.average_rate or stream.guessed_rate
    return 1.0 / float(rate) if rate else 0.04


def _header_duration(container, stream) -> Optional[float]:
    """Duration (s) the file's header states for the video stream, if any."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def frames_per_second(path: str, offset: float) -> list[np.ndarray]:
    """Decode the frames at ``offset``, ``offset + 1``, ... seconds (see the module docs).

    Args:
        path: A video file (any container and codec FFmpeg reads: flv, mp4, ...).
        offset: Seconds into each second at which its frame is taken (0 or 0.5).

    Returns:
        RGB uint8 frames of shape (H, W, 3), in time order, at least one.

    Raises:
        ClipError: The file is missing, unreadable, has no video stream, no decodable frame,
            or ends well before the duration its header states (truncated).
    """
    container = _open(path)
    with container:
        if not container.streams.video:
            raise ClipError(NO_VIDEO, f'{path}: has no video stream')
        stream = container.streams.video[0]
        period = _frame_period(stream)
        chosen, previous, first_time, last_time, index = [], None, None, None, 0
        try:
            for index, frame in enumerate(container.decode(stream)):
                time = frame.time
                if time is None or (last_time is not None and time <= last_time):
                    # No or non-increasing timestamp: one frame period after the last frame.
                    time = 0.0 if last_time is None else last_time + period
                if first_time is None:
                    first_time = time
                relative = time - first_time
                while len(chosen) + offset <= relative:  # passed target t_k: pick the nearer
                    target = len(chosen) + offset
                    take_previous = (previous is not None and target - previous[0]
                                     <= relative - target + TIE_TOLERANCE_S)
                    chosen.append((previous[1] if take_previous else frame)
                                  .to_ndarray(format='rgb24'))
                previous = (relative, frame)
                last_time = time
        except av.error.FFmpegError as error:
            raise ClipError(CORRUPT, f'{path}: decoding failed after {index} frames '
                                     f'({error})') from error
        if previous is None:
            raise ClipError(EMPTY, f'{path}: no video frame decodes')
        end = previous[0] + period
        while len(chosen) + offset < end or not chosen:
            chosen.append(previous[1].to_ndarray(format='rgb24'))
        header = _header_duration(container, stream)
        slack = max(TRUNCATION_SLACK_S, TRUNCATION_SLACK_RATIO * (header or 0.0))
        if header is not None and end < header - slack:
            raise ClipError(TRUNCATED, f'{path}: frames end at {end:.2f} s, its header states '
                                       f'{header:.2f} s (a partial download?)')
    return chosen


def audio_track(path: str, sample_rate: int) -> np.ndarray:
    """Decode the first audio stream as 16-bit mono PCM at ``sample_rate``.

    Args:
        path: A video (or audio) file.
        sample_rate: Output rate in Hz.

    Returns:
        int16 array of shape (L,), L > 0.

    Raises:
        ClipError: The file is missing or unreadable, has no audio stream, or no sample of it
            decodes.
    """
    container = _open(path)
    with container:
        if not container.streams.audio:
            raise ClipError(NO_AUDIO, f'{path}: has no audio stream')
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format='s16', layout='mono', rate=sample_rate)
        chunks = []
        try:
            for frame in container.decode(stream):
                chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
        except av.error.FFmpegError as error:
            raise ClipError(CORRUPT, f'{path}: decoding its audio failed ({error})') from error
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    if samples.size == 0:
        raise ClipError(EMPTY_AUDIO, f'{path}: its audio stream holds no decodable sample')
    return samples.astype(np.int16, copy=False)
