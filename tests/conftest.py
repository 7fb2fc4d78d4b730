"""Shared fixtures: tiny real mmpretrain / mmseg models and batches in the dataloader format."""
import os

import pytest
import torch

# No hub downloads, ever: weights come from local files in tests.
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
torch.set_num_threads(min(2, torch.get_num_threads()))

import fdkd_mm  # noqa: E402,F401  (registers our modules)

NUM_CLS_CLASSES = 6
NUM_SEG_CLASSES = 5
BASE = 8  # ResNet base width in tests: features of 8 * 8 = 64 channels


def tiny_classifier(in_channels: int, mean=None, std=None) -> dict:
    """An mmpretrain ResNet-18 classifier, 8x narrower than the real one."""
    return dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='ResNet', depth=18, in_channels=in_channels, stem_channels=BASE,
                      base_channels=BASE, out_indices=(3,)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=NUM_CLS_CLASSES, in_channels=BASE * 8,
                  loss=dict(type='CrossEntropyLoss')),
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=mean, std=std, to_rgb=False))


def tiny_segmentor(in_channels: int, mean, std, bgr_to_rgb: bool) -> dict:
    """An mmseg DeepLabV3+ with a narrow ResNetV1c-18 backbone."""
    norm_cfg = dict(type='BN', requires_grad=True)
    return dict(
        type='mmseg.EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=mean, std=std,
                               bgr_to_rgb=bgr_to_rgb, pad_val=0, seg_pad_val=255, size=(32, 32)),
        backbone=dict(type='ResNetV1c', depth=18, in_channels=in_channels, stem_channels=BASE,
                      base_channels=BASE, num_stages=4, out_indices=(0, 1, 2, 3),
                      dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1), norm_cfg=norm_cfg,
                      contract_dilation=True),
        decode_head=dict(type='DepthwiseSeparableASPPHead', in_channels=BASE * 8, in_index=3,
                         channels=16, dilations=(1, 2, 3, 4),
                         c1_in_channels=BASE, c1_channels=4, dropout_ratio=0.1,
                         num_classes=NUM_SEG_CLASSES, norm_cfg=norm_cfg, align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        train_cfg=dict(), test_cfg=dict(mode='whole'))


@pytest.fixture
def cls_distiller_cfg() -> dict:
    """Audio (1x64x48) teacher -> visual (3x32x32) student, pooled 64-d features."""
    block_preact = dict(path='backbone.layer4.1.relu', source='input', call_index=1)
    return dict(
        type='FrequencyDecoupledDistiller',
        student=tiny_classifier(3, mean=[127.5] * 3, std=[64.0] * 3),
        teacher=tiny_classifier(1),
        student_input='visual', teacher_input='audio',
        student_recorder=block_preact, teacher_recorder=block_preact,
        pool='avg', num_classes=NUM_CLS_CLASSES, in_channels=BASE * 8)


@pytest.fixture
def seg_distiller_cfg() -> dict:
    """Depth (1 channel) teacher -> RGB student, dense 16-d decode features."""
    decode_feature = dict(path='decode_head.sep_bottleneck', source='output')
    return dict(
        type='FrequencyDecoupledDistiller',
        student=tiny_segmentor(3, [123.7, 116.3, 103.5], [58.4, 57.1, 57.4], bgr_to_rgb=True),
        teacher=tiny_segmentor(1, [2.5], [1.5], bgr_to_rgb=False),
        student_input='rgb', teacher_input='depth',
        student_recorder=decode_feature, teacher_recorder=decode_feature,
        pool=None, num_classes=NUM_SEG_CLASSES, in_channels=16)


def make_cls_batch(batch_size: int = 4, seed: int = 0) -> dict:
    """A batch as MMEngine's pseudo_collate yields it: lists per modality + data samples."""
    from mmpretrain.structures import DataSample
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, NUM_CLS_CLASSES, (batch_size,), generator=gen)
    return dict(
        inputs=dict(
            audio=[torch.randn(1, 64, 48, generator=gen) for _ in range(batch_size)],
            visual=[torch.randint(0, 256, (3, 32, 32), generator=gen, dtype=torch.uint8)
                    for _ in range(batch_size)]),
        data_samples=[DataSample().set_gt_label(int(label)) for label in labels])


def make_seg_batch(batch_size: int = 2, seed: int = 0, size=(32, 32)) -> dict:
    """An RGB-D segmentation batch with labels including ignored (255) pixels."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(batch_size):
        label = torch.randint(0, NUM_SEG_CLASSES, (1, *size), generator=gen)
        label[:, :3] = 255
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return dict(
        inputs=dict(
            rgb=[torch.randint(0, 256, (3, *size), generator=gen, dtype=torch.uint8)
                 for _ in range(batch_size)],
            depth=[torch.rand(1, *size, generator=gen) * 5 for _ in range(batch_size)]),
        data_samples=samples)


@pytest.fixture
def cls_batch() -> dict:
    return make_cls_batch()


@pytest.fixture
def seg_batch() -> dict:
    return make_seg_batch()


@pytest.fixture
def batch_factory():
    """``batch_factory(task, seed)`` builds a fresh 'cls' or 'seg' batch."""
    return lambda task, seed=0: dict(cls=make_cls_batch, seg=make_seg_batch)[task](seed=seed)


@pytest.fixture
def model_factory():
    """Access to the tiny model configs: ``model_factory.classifier(in_channels)`` etc."""
    class Factory:
        classifier = staticmethod(tiny_classifier)
        segmentor = staticmethod(tiny_segmentor)
        base = BASE
    return Factory
