"""From dataset samples to model-ready batches: collation and the video preprocessor."""
import pytest
import torch
from mmengine.dataset import pseudo_collate

from fdkd_mm.testing.synthetic_audio_visual import write_synthetic_cremad
from fdkd_mm.models.data_preprocessors.video import VideoDataPreprocessor
from fdkd_mm.registry import DATASETS, MODELS


def test_video_preprocessor_normalises_per_channel():
    clip = torch.zeros(3, 2, 2, 2, dtype=torch.uint8)
    clip[0], clip[1], clip[2] = 255, 128, 0
    out = VideoDataPreprocessor()(dict(inputs=[clip, clip], data_samples=None))['inputs']
    assert out.shape == (2, 3, 2, 2, 2) and out.dtype == torch.float32
    expected = [(255 - 123.675) / 58.395, (128 - 116.28) / 57.12, (0 - 103.53) / 57.375]
    for channel, value in enumerate(expected):
        torch.testing.assert_close(out[:, channel], torch.full((2, 2, 2, 2), value))
    swapped = VideoDataPreprocessor(mean=None, std=None, to_rgb=True)(
        dict(inputs=[clip]))['inputs']
    assert swapped[0, 0].unique().tolist() == [0.0] and swapped[0, 2].unique().tolist() == [255.]


def test_video_preprocessor_rejects_mismatched_clips():
    preprocessor = VideoDataPreprocessor()
    with pytest.raises(ValueError, match='equal-shaped'):
        preprocessor(dict(inputs=[torch.zeros(3, 2, 4, 4), torch.zeros(3, 3, 4, 4)]))
    with pytest.raises(ValueError, match='channels'):
        preprocessor(dict(inputs=[torch.zeros(1, 2, 4, 4)]))


def test_multimodal_batch_and_unimodal_teacher_batch(tmp_path):
    write_synthetic_cremad(str(tmp_path), clips_per_class=(1, 1), duration=0.3)
    load = [dict(type='fdkd_mm.LoadWaveform', sample_rate=22050),
            dict(type='fdkd_mm.LogSpectrogram', duration=3.0, n_fft=512, hop_length=353),
            dict(type='fdkd_mm.SampleFrames', num_frames=3, random=True),
            dict(type='fdkd_mm.LoadFrames'),
            dict(type='fdkd_mm.FramesRandomResizedCrop', scale=16),
            dict(type='fdkd_mm.FramesRandomFlip', prob=0.5)]
    both = DATASETS.build(dict(
        type='fdkd_mm.CremaDDataset', data_root=str(tmp_path), ann_file='train.csv',
        pipeline=load + [dict(type='fdkd_mm.PackAudioVisualInputs', keys=('audio', 'visual'))]))
    batch = pseudo_collate([both[0], both[5]])
    visual = VideoDataPreprocessor()(dict(inputs=batch['inputs']['visual']))['inputs']
    assert visual.shape == (2, 3, 3, 16, 16)
    audio = MODELS.build(dict(type='mmpretrain.ClsDataPreprocessor'))(
        dict(inputs=batch['inputs']['audio'], data_samples=batch['data_samples']))
    assert audio['inputs'].shape == (2, 1, 257, 188)
    assert [s.gt_label.item() for s in audio['data_samples']] == [0, 5]  # NEU, ANG
    both_modalities = MODELS.build(dict(
        type='MultiModalDataPreprocessor', label_modality='visual',
        preprocessors=dict(audio=dict(type='mmpretrain.ClsDataPreprocessor'),
                           visual=dict(type='fdkd_mm.VideoDataPreprocessor'))))(batch, True)
    torch.testing.assert_close(both_modalities['inputs']['visual'], visual)
    torch.testing.assert_close(both_modalities['inputs']['audio'], audio['inputs'])
    assert [s.gt_label.item() for s in both_modalities['data_samples']] == [0, 5]

    audio_only = DATASETS.build(dict(
        type='fdkd_mm.CremaDDataset', data_root=str(tmp_path), ann_file='train.csv',
        pipeline=load[:2] + [dict(type='fdkd_mm.PackAudioVisualInputs', keys=('audio',),
                                  plain_inputs=True)]))
    sample = audio_only[1]
    assert isinstance(sample['inputs'], torch.Tensor) and sample['inputs'].shape == (1, 257, 188)
    assert sample['data_samples'].gt_label.item() == 1  # HAP
