"""Write small real video files (flv, mp4) with PyAV whose frames say which frame they are.

Frame ``i`` shows ``i`` in binary as :data:`CODE_BITS` vertical stripes (white = 1, most
significant bit on the left), which survive lossy coding at any size, so a test can read back
which source frame a converter kept (:func:`read_frame_code`). The audio track is a sine tone
of a known frequency. Needs PyAV (``av``), like the converters.
"""
from fractions import Fraction
from pathlib import Path
from typing import Optional, Union

import av
import numpy as np

CODE_BITS = 8  # frame indices 0..255


def code_frame(index: int, height: int, width: int) -> np.ndarray:
    """The RGB frame showing ``index`` as stripes.

    Args:
        index: Frame index, 0..255.
        height: Frame height.
        width: Frame width (a multiple of :data:`CODE_BITS` keeps stripes equal).

    Returns:
        uint8 array (height, width, 3).
    """
    if not 0 <= index < 2 ** CODE_BITS:
        raise ValueError(f'frame index {index} does not fit in {CODE_BITS} bits')
    bits = [(index >> (CODE_BITS - 1 - bit)) & 1 for bit in range(CODE_BITS)]
    columns = np.repeat(np.array(bits, np.uint8) * 255, int(np.ceil(width / CODE_BITS)))[:width]
    return np.repeat(np.repeat(columns[None, :, None], height, 0), 3, 2)


def read_frame_code(rgb: np.ndarray) -> int:
    """The index a frame of :func:`code_frame` shows (after any lossy coding or resizing).

    Args:
        rgb: (H, W, 3) or (H, W) image.

    Returns:
        The decoded index.
    """
    gray = rgb.mean(axis=2) if rgb.ndim == 3 else rgb.astype(np.float64)
    width = gray.shape[1]
    value = 0
    for bit in range(CODE_BITS):
        left, right = bit * width / CODE_BITS, (bit + 1) * width / CODE_BITS
        # The centre half of each stripe: edges blur under compression.
        stripe = gray[:, int(left + (right - left) / 4):int(np.ceil(right - (right - left) / 4))]
        value = (value << 1) | int(stripe.mean() > 127.5)
    return value


def write_video(path: Union[str, Path], seconds: float, fps: Union[int, Fraction] = 10,
                size: tuple[int, int] = (48, 64), video_codec: str = 'libx264',
                audio_codec: str = 'aac', audio_rate: int = 44100,
                tone_hz: Optional[float] = 440.0, channels: int = 1) -> int:
    """Write a video whose frames are coded with their index, and a sine audio track.

    Args:
        path: Output file; the container follows the suffix (``.flv``, ``.mp4``, ...).
        seconds: Duration of the video (and of the audio).
        fps: Frame rate (a ``Fraction`` for NTSC rates such as 30000/1001).
        size: (height, width).
        video_codec: FFmpeg encoder (``'flv'`` for Sorenson H.263 as CREMA-D's flv files,
            ``'libx264'``, ``'mpeg4'``).
        audio_codec: FFmpeg encoder (``'mp3'``, ``'aac'``).
        audio_rate: Audio sample rate.
        tone_hz: Sine frequency; ``None`` writes no audio stream.
        channels: Audio channels (1 or 2; both carry the tone).

    Returns:
        The number of video frames written.
    """
    height, width = size
    num_frames = int(round(seconds * float(fps)))
    with av.open(str(path), 'w') as container:
        video = container.add_stream(video_codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, 'yuv420p'
        audio = None
        if tone_hz is not None:
            audio = container.add_stream(audio_codec, rate=audio_rate,
                                         layout='mono' if channels == 1 else 'stereo')
        for index in range(num_frames):
            frame = av.VideoFrame.from_ndarray(code_frame(index, height, width), format='rgb24')
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if audio is not None:
            _write_tone(container, audio, seconds, audio_rate, tone_hz, channels)
    return num_frames


def _write_tone(container, stream, seconds: float, rate: int, tone_hz: float,
                channels: int) -> None:
    time = np.arange(int(round(seconds * rate))) / rate
    tone = (0.5 * np.sin(2 * np.pi * tone_hz * time)).astype(np.float32)
    chunk = stream.codec_context.frame_size or 1024
    layout = 'mono' if channels == 1 else 'stereo'
    for start in range(0, len(tone), chunk):
        piece = tone[start:start + chunk]
        interleaved = np.repeat(piece, channels)[None, :]  # packed 'flt': L R L R ...
        frame = av.AudioFrame.from_ndarray(interleaved, format='flt', layout=layout)
        frame.sample_rate, frame.pts = rate, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def truncate_file(path: Union[str, Path], fraction: float = 0.5) -> None:
    """Keep the first ``fraction`` of a file's bytes, as an interrupted download does."""
    path = Path(path)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * fraction)])
