"""FrameFoldingBackbone: sample-major folding, per-frame equivalence, classifier wiring, hooks."""
import pytest
import torch
from mmpretrain.structures import DataSample
from torch import nn

from fdkd_mm.models.backbones import FrameFoldingBackbone
from fdkd_mm.registry import MODELS

TINY_RESNET = dict(type='mmpretrain.ResNet', depth=18, base_channels=8)


class Recorder(nn.Module):
    """Identity 'backbone' that keeps what it was given."""

    def forward(self, images):
        self.seen = images
        return (images * 2,)


def test_frames_fold_sample_major_and_unfold_back():
    clips = torch.randn(2, 3, 4, 5, 6)
    model = FrameFoldingBackbone(Recorder())
    (out,) = model(clips)
    images = model.backbone.seen
    assert images.shape == (8, 3, 5, 6)
    for n in range(2):
        for t in range(4):
            assert torch.equal(images[n * 4 + t], clips[n, :, t])
    assert torch.equal(out, clips * 2)  # unfolding restores (N, C, T, H, W)
    with pytest.raises(ValueError, match=r'\(N, C, T, H, W\)'):
        model(torch.randn(2, 3, 5, 6))


def test_resnet_stages_equal_per_frame_runs():
    model = MODELS.build(dict(type='fdkd_mm.FrameFoldingBackbone', backbone=TINY_RESNET))
    model.init_weights()
    model.eval()  # batch statistics would couple the frames
    clips = torch.randn(2, 3, 3, 32, 32)
    with torch.no_grad():
        (out,) = model(clips)
        assert out.shape == (2, 64, 3, 1, 1)  # 8 * 8 channels, stride 32
        for t in range(3):
            (frame_out,) = model.backbone(clips[:, :, t])
            torch.testing.assert_close(out[:, :, t], frame_out)


def build_video_classifier():
    return MODELS.build(dict(
        type='mmpretrain.ImageClassifier', _scope_='mmpretrain',  # as the distiller builds it
        data_preprocessor=dict(type='fdkd_mm.VideoDataPreprocessor'),
        backbone=dict(type='fdkd_mm.FrameFoldingBackbone', backbone=TINY_RESNET),
        neck=dict(type='GlobalAveragePooling', dim=3),
        head=dict(type='LinearClsHead', num_classes=6, in_channels=64,
                  loss=dict(type='CrossEntropyLoss'))))


def test_image_classifier_trains_and_predicts_on_clips():
    model = build_video_classifier()
    batch = dict(inputs=[torch.randint(0, 256, (3, 2, 32, 32), dtype=torch.uint8)
                         for _ in range(2)],
                 data_samples=[DataSample().set_gt_label(1), DataSample().set_gt_label(4)])
    data = model.data_preprocessor(batch, training=True)
    assert data['inputs'].shape == (2, 3, 2, 32, 32)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss']) and losses['loss'] > 0
    losses['loss'].backward()
    assert model.backbone.backbone.conv1.weight.grad is not None
    model.eval()
    with torch.no_grad():
        predictions = model(**model.data_preprocessor(batch), mode='predict')
    assert [p.pred_score.shape for p in predictions] == [torch.Size([6])] * 2


def test_last_block_relu_second_call_is_the_residual_sum():
    """What the distiller's recorder relies on (facts about mmpretrain's BasicBlock)."""
    model = build_video_classifier().eval()
    modules = dict(model.named_modules())
    relu, block = modules['backbone.backbone.layer4.1.relu'], modules['backbone.backbone.layer4.1']
    assert relu.inplace  # so a post-forward hook's "input" is already rectified
    pre_inputs, post_inputs, block_inputs = [], [], []
    handles = [
        relu.register_forward_pre_hook(lambda m, args: pre_inputs.append(args[0].clone())),
        relu.register_forward_hook(lambda m, args, out: post_inputs.append(args[0])),
        block.register_forward_pre_hook(lambda m, args: block_inputs.append(args[0].clone())),
    ]
    clips = torch.randn(2, 3, 2, 32, 32)
    with torch.no_grad():
        model(clips, mode='tensor')
    for handle in handles:
        handle.remove()
    assert len(pre_inputs) == 2  # self.relu runs after norm1 and after the residual sum
    x = block_inputs[0]
    with torch.no_grad():
        residual = block.norm2(block.conv2(torch.relu(block.norm1(block.conv1(x))))) + x
    assert pre_inputs[1].shape == (4, 64, 1, 1)  # (N * T, C, h, w), folded frames
    torch.testing.assert_close(pre_inputs[1], residual)
    assert (pre_inputs[1] < 0).any()  # pre-activation: negative values survive
    assert (post_inputs[1] >= 0).all()  # the in-place ReLU overwrote the hooked input


def test_audio_resnet_takes_one_channel_spectrograms():
    model = MODELS.build(dict(
        type='mmpretrain.ImageClassifier', _scope_='mmpretrain',  # as the distiller builds it
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'),
        backbone=dict(type='ResNet', depth=18, in_channels=1, base_channels=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=6, in_channels=64,
                  loss=dict(type='CrossEntropyLoss'))))
    batch = dict(inputs=[torch.randn(1, 257, 40) for _ in range(2)],
                 data_samples=[DataSample().set_gt_label(0), DataSample().set_gt_label(5)])
    data = model.data_preprocessor(batch, training=True)
    torch.testing.assert_close(data['inputs'], torch.stack(batch['inputs']))  # no mean/std
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss'])
