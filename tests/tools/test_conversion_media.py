"""fdkd_mm.datasets.conversion.media: the 1-fps frame rule and the audio track, on real files.

Expected frames are computed independently from the documented rule: frame ``k`` is the
source frame whose time ``i / fps`` is nearest to ``k + offset`` (the earlier on a tie), for
every ``k + offset`` before the end ``n / fps``, and at least one frame.
"""
from fractions import Fraction

import av
import numpy as np
import pytest

from fdkd_mm.datasets.conversion import media
from fdkd_mm.testing.synthetic_video import read_frame_code, truncate_file, write_video


def expected_indices(num_frames: int, fps: Fraction, offset: float) -> list[int]:
    times = np.arange(num_frames) / float(fps)
    targets = [k + offset for k in range(int(np.ceil(num_frames / float(fps))) + 1)
               if k + offset < num_frames / float(fps)] or [offset]
    # argmin picks the first (earlier) index on a tie.
    return [int(np.argmin(np.abs(times - target))) for target in targets]


@pytest.mark.parametrize('fps', [Fraction(30000, 1001), Fraction(25), Fraction(10)])
@pytest.mark.parametrize('offset', [0.0, 0.5])
def test_frame_rule_on_whole_and_ntsc_rates(tmp_path, fps, offset):
    path = tmp_path / 'clip.mp4'
    num_frames = write_video(path, 2.5, fps, tone_hz=None)
    codes = [read_frame_code(frame) for frame in media.frames_per_second(str(path), offset)]
    assert codes == expected_indices(num_frames, fps, offset)


def test_clip_shorter_than_the_offset_still_gives_one_frame(tmp_path):
    path = tmp_path / 'short.mp4'
    write_video(path, 0.3, 10, tone_hz=None)
    frames = media.frames_per_second(str(path), 0.5)
    assert [read_frame_code(frame) for frame in frames] == [2]  # the last of 3 frames
    assert frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8


@pytest.mark.parametrize('channels', [1, 2])
def test_audio_track_is_16_bit_mono_at_the_rate_asked(tmp_path, channels):
    path = tmp_path / 'clip.mp4'
    write_video(path, 2.0, 10, audio_rate=44100, tone_hz=1500.0, channels=channels)
    samples = media.audio_track(str(path), 16000)
    assert samples.dtype == np.int16 and samples.ndim == 1
    assert abs(len(samples) / 16000 - 2.0) < 0.06  # AAC pads its last frame
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    assert abs(np.argmax(spectrum) * 16000 / len(samples) - 1500.0) < 2
    # The tone's level survives the downmix (channels averaged, not summed or scaled by
    # 1/sqrt(2)): a sine of amplitude 0.5 has an RMS of 0.354 of full scale.
    rms = np.sqrt(np.mean((samples[2000:-2000] / 32768.0) ** 2))
    assert abs(rms - 0.5 / np.sqrt(2)) < 0.03, rms


def write_audio_only(path):
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('aac', rate=16000, layout='mono')
        tone = np.zeros((1, 16000), np.float32)
        frame = av.AudioFrame.from_ndarray(tone, format='flt', layout='mono')
        frame.sample_rate, frame.pts = 16000, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def faststart_truncated(path):
    """An mp4 with its index first (as web downloads are), cut after the index."""
    with av.open(str(path), 'w', options={'movflags': 'faststart'}) as container:
        video = container.add_stream('libx264', rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, 'yuv420p'
        for _ in range(30):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format='rgb24')
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    truncate_file(path, 0.5)


@pytest.mark.parametrize('make, category', [
    (lambda p: None, media.MISSING),
    (lambda p: p.write_bytes(b'\x00' * 4096), media.CORRUPT),
    (lambda p: (write_video(p, 2.0, 10), truncate_file(p, 0.6)), media.CORRUPT),
    (faststart_truncated, media.EMPTY),
    (write_audio_only, media.NO_VIDEO),
])
def test_unusable_videos_fail_with_their_reason(tmp_path, make, category):
    path = tmp_path / 'clip.mp4'
    make(path)
    with pytest.raises(media.ClipError) as error:
        media.frames_per_second(str(path), 0.0)
    assert error.value.category == category and str(path) in error.value.message


def test_truncated_flv_is_caught_by_its_header_duration(tmp_path):
    path = tmp_path / 'clip.flv'
    write_video(path, 3.0, 10, video_codec='flv', audio_codec='mp3')
    truncate_file(path, 0.5)
    with pytest.raises(media.ClipError, match=r'header states 3\.0\d s') as error:
        media.frames_per_second(str(path), 0.0)
    assert error.value.category == media.TRUNCATED


def test_video_without_audio_stream(tmp_path):
    path = tmp_path / 'clip.mp4'
    write_video(path, 1.0, 10, tone_hz=None)
    with pytest.raises(media.ClipError) as error:
        media.audio_track(str(path), 16000)
    assert error.value.category == media.NO_AUDIO
