"""Frame sampling, loading, clip-consistent augmentation and audio-visual packing."""
import numpy as np
import pytest
import torch
from PIL import Image

from fdkd_mm.datasets.transforms.frames import (FramesRandomFlip, FramesRandomResizedCrop,
                                                FramesResize, LoadFrames, SampleFrames,
                                                list_frames, segment_indices)
from fdkd_mm.datasets.transforms.pack_audio_visual import PackAudioVisualInputs


def test_segment_indices_centre_and_random():
    # 10 frames, 3 segments [0, 3), [3, 6), [6, 10): centres 1, 4, 7.
    assert segment_indices(10, 3, random=False).tolist() == [1, 4, 7]
    # Fewer frames than segments: segments [0, 1), [0, 1), [1, 2) repeat frames.
    assert segment_indices(2, 3, random=False).tolist() == [0, 0, 1]
    assert segment_indices(1, 2, random=False).tolist() == [0, 0]
    np.random.seed(0)
    draws = np.stack([segment_indices(10, 3, random=True) for _ in range(300)])
    assert set(draws[:, 0]) == {0, 1, 2}
    assert set(draws[:, 1]) == {3, 4, 5}
    assert set(draws[:, 2]) == {6, 7, 8, 9}


def test_list_frames_is_natural_order_and_images_only(tmp_path):
    for name in ('frame_10.jpg', 'frame_2.jpg', 'frame_1.jpg', 'notes.txt'):
        (tmp_path / name).write_bytes(b'')
    assert [p.rsplit('/', 1)[1] for p in list_frames(str(tmp_path))] == [
        'frame_1.jpg', 'frame_2.jpg', 'frame_10.jpg']
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='empty'):
        list_frames(str(empty))
    with pytest.raises(FileNotFoundError, match='nowhere'):
        list_frames(str(tmp_path / 'nowhere'))


def write_grey_frames(folder, levels, size=(12, 16)):
    folder.mkdir()
    for index, level in enumerate(levels, start=1):
        pixels = np.full((*size, 3), level, np.uint8)
        Image.fromarray(pixels).save(folder / f'frame_{index:05d}.jpg', quality=100)


def test_sample_and_load_frames_follow_the_segment_picks(tmp_path):
    levels = [10, 40, 70, 100, 130, 160, 190, 220, 250]
    write_grey_frames(tmp_path / 'clip', levels)
    results = SampleFrames(num_frames=3, random=False)(dict(frame_dir=str(tmp_path / 'clip')))
    assert results['frame_inds'].tolist() == [1, 4, 7]  # segments [0,3) [3,6) [6,9)
    results = LoadFrames()(results)
    frames = results['visual']
    assert frames.shape == (3, 12, 16, 3) and frames.dtype == np.uint8
    np.testing.assert_allclose(frames.reshape(3, -1).mean(1), [40, 130, 220], atol=2)
    assert results['img_shape'] == (12, 16)


def gradient_clip(frames=3, height=20, width=30):
    row = np.linspace(0, 255, width, dtype=np.float32)
    col = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    image = np.stack([row + 0 * col, col + 0 * row, (row + col) / 2], -1).astype(np.uint8)
    return np.stack([image] * frames)


def test_random_resized_crop_is_shared_across_frames_by_default():
    np.random.seed(1)
    results = FramesRandomResizedCrop(scale=16)(dict(visual=gradient_clip()))
    out = results['visual']
    assert out.shape == (3, 16, 16, 3) and results['img_shape'] == (16, 16)
    assert all(np.array_equal(out[0], frame) for frame in out[1:])
    np.random.seed(1)
    per_frame = FramesRandomResizedCrop(scale=16, same_for_all_frames=False)(
        dict(visual=gradient_clip()))['visual']
    assert not all(np.array_equal(per_frame[0], frame) for frame in per_frame[1:])


def test_resize_and_flip():
    clip = gradient_clip()
    resized = FramesResize(scale=(8, 12))(dict(visual=clip))
    assert resized['visual'].shape == (3, 8, 12, 3) and resized['img_shape'] == (8, 12)
    flipped = FramesRandomFlip(prob=1.0)(dict(visual=clip))
    assert flipped['flip'] is True
    np.testing.assert_array_equal(flipped['visual'], clip[:, :, ::-1])
    kept = FramesRandomFlip(prob=0.0)(dict(visual=clip))
    assert kept['flip'] is False
    np.testing.assert_array_equal(kept['visual'], clip)


def test_pack_audio_visual_layouts_and_label():
    clip = gradient_clip(frames=2, height=4, width=5)
    audio = torch.randn(1, 257, 6)
    packed = PackAudioVisualInputs()(dict(audio=audio, visual=clip, gt_label=4, clip_id='c1'))
    visual = packed['inputs']['visual']
    assert visual.shape == (3, 2, 4, 5) and visual.dtype == torch.uint8
    # channel-first: visual[c, t, h, w] == frames[t, h, w, c]
    assert int(visual[2, 1, 3, 4]) == int(clip[1, 3, 4, 2])
    assert int(visual[0, 0, 1, 2]) == int(clip[0, 1, 2, 0])
    assert torch.equal(packed['inputs']['audio'], audio)
    sample = packed['data_samples']
    assert sample.gt_label.tolist() == [4] and sample.clip_id == 'c1'

    plain = PackAudioVisualInputs(keys=('audio',), plain_inputs=True)(
        dict(audio=audio, gt_label=1))
    assert torch.equal(plain['inputs'], audio)
    with pytest.raises(ValueError, match='exactly one'):
        PackAudioVisualInputs(keys=('audio', 'visual'), plain_inputs=True)
    with pytest.raises(KeyError, match='visual'):
        PackAudioVisualInputs()(dict(audio=audio, gt_label=0))
