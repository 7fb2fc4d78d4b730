"""Tiny real mmpretrain / mmseg model configs and distiller configs built from them (tests).

The networks are the project's real architectures at a fraction of their width, so a test
runs the same code paths as a full config in milliseconds.
"""
import copy
from typing import Optional

NUM_CLS_CLASSES = 6
NUM_SEG_CLASSES = 5
BASE = 8  # ResNet base width: features of 8 * 8 = 64 channels


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
    """An mmseg DeepLabV3+ with a narrow ResNetV1c-18 backbone (16-d decode features)."""
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


def fd_distiller_cfg(student: dict, teacher: dict, student_input: str, teacher_input: str,
                     feature: dict, pool: Optional[str], num_classes: int, in_channels: int,
                     **loss) -> dict:
    """A CrossModalDistiller with FD-CMKD as its one loss, on the same feature of both nets."""
    return dict(
        type='CrossModalDistiller', student=student, teacher=teacher,
        student_input=student_input, teacher_input=teacher_input,
        student_recorders=dict(feat=dict(feature, pool=pool)),
        teacher_recorders=dict(feat=dict(feature, pool=pool)),
        distill_losses=dict(loss_fd=dict(type='FDCMKDLoss', num_classes=num_classes,
                                         in_channels=in_channels, **loss)),
        loss_forward_mappings=dict(loss_fd=dict(
            student_feat=dict(from_student=True, recorder='feat'),
            teacher_feat=dict(from_student=False, recorder='feat'),
            target=dict(labels=True))))


def cls_fd_distiller_cfg() -> dict:
    """Audio (1x64x48) teacher -> visual (3x32x32) student: the last block's pre-activation,
    pooled to 64-d (a tensor a ReLU would change, so the recorder's in-place safety is used)."""
    preact = dict(path='backbone.layer4.1.relu', source='input', call_index=1)
    return fd_distiller_cfg(tiny_classifier(3, mean=[127.5] * 3, std=[64.0] * 3),
                            tiny_classifier(1), 'visual', 'audio', preact, 'avg',
                            NUM_CLS_CLASSES, BASE * 8)


def seg_fd_distiller_cfg() -> dict:
    """Depth (1 channel) teacher -> RGB student, dense 16-d decode features."""
    decode = dict(path='decode_head.sep_bottleneck', source='output')
    return fd_distiller_cfg(
        tiny_segmentor(3, [123.7, 116.3, 103.5], [58.4, 57.1, 57.4], bgr_to_rgb=True),
        tiny_segmentor(1, [2.5], [1.5], bgr_to_rgb=False), 'rgb', 'depth', decode, None,
        NUM_SEG_CLASSES, 16)


def with_fd_loss(cfg: dict, **changes) -> dict:
    """A copy of an FD distiller config with ``changes`` applied to its ``loss_fd``."""
    cfg = copy.deepcopy(cfg)
    cfg['distill_losses']['loss_fd'].update(changes)
    return cfg
