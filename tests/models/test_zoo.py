"""resolve_model_cfg: zoo networks by config path, with head / preprocessor / norm overrides."""
import os.path as osp

import mmseg
import pytest
import torch
import yaml
from mmpretrain.structures import DataSample
from torch import nn

from fdkd_mm.registry import MODELS
from fdkd_mm.models.zoo import resolve_model_cfg

PSPNET = 'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'
MBV3 = 'mmpretrain::mobilenet_v3/mobilenet-v3-small_8xb128_in1k.py'
BN = dict(type='BN', requires_grad=True)
DEPTH_PREPROCESSOR = dict(type='SegDataPreProcessor', mean=[2.8] * 3, std=[1.4] * 3,
                          bgr_to_rgb=False, pad_val=0, seg_pad_val=255)


def walk(node, key):
    """Every value stored under ``key`` anywhere in a nested config."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from walk(v, key)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from walk(v, key)


def test_pspnet_resolves_to_the_zoo_model_with_overrides():
    model = resolve_model_cfg(dict(cfg_path=PSPNET, pretrained=False, num_classes=40,
                                   data_preprocessor=DEPTH_PREPROCESSOR, norm_cfg=BN,
                                   backbone=dict(in_channels=3)))
    # What pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py and its r50 base say.
    assert model['type'] == 'mmseg.EncoderDecoder' and model['_scope_'] == 'mmseg'
    assert model['backbone']['type'] == 'ResNetV1c' and model['backbone']['depth'] == 18
    assert model['pretrained'] == 'open-mmlab://resnet18_v1c'  # the ImageNet backbone stays
    assert (model['decode_head']['type'], model['decode_head']['channels']) == ('PSPHead', 128)
    assert model['auxiliary_head']['in_channels'] == 256
    # Overrides: every head's classes, the preprocessor replaced (not merged), BN everywhere,
    # a plain key merged into the backbone without losing its other keys.
    assert model['decode_head']['num_classes'] == model['auxiliary_head']['num_classes'] == 40
    assert model['data_preprocessor'] == DEPTH_PREPROCESSOR
    assert list(walk(model, 'norm_cfg')) and all(n == BN for n in walk(model, 'norm_cfg'))
    assert model['backbone']['in_channels'] == 3
    assert model['backbone']['dilations'] == (1, 1, 2, 4)
    assert 'init_cfg' not in model  # pretrained=False: no zoo checkpoint


def test_a_pspnet_reference_builds_and_segments_into_the_requested_classes():
    # MODELS.build resolves the zoo reference itself (its build function).
    segmentor = MODELS.build(dict(
        cfg_path=PSPNET, num_classes=7, norm_cfg=BN, backbone_pretrained=False,
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.0] * 3, std=[1.0] * 3)))
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in segmentor.modules())
    # No ImageNet download at init_weights: the backbone keeps its default (Kaiming) init.
    init = segmentor.backbone.init_cfg
    assert all(c['type'] != 'Pretrained' for c in (init if isinstance(init, list) else [init]))
    segmentor.eval()
    with torch.no_grad():
        logits = segmentor(torch.randn(1, 3, 64, 64), mode='tensor')
    assert logits.shape == (1, 7, 8, 8)  # output stride 8 (dilated ResNet)


def test_pretrained_true_names_the_metafile_checkpoint_and_a_string_is_taken_as_is():
    metafile = osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs', 'pspnet',
                        'metafile.yaml')
    with open(metafile) as f:
        entries = yaml.safe_load(f)['Models']
    expected = next(e['Weights'] for e in entries
                    if e['Config'].endswith('pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'))
    model = resolve_model_cfg(dict(cfg_path=PSPNET, pretrained=True))
    assert model['init_cfg'] == dict(type='Pretrained', checkpoint=expected)
    model = resolve_model_cfg(dict(cfg_path=PSPNET, pretrained='work_dirs/x/epoch_5.pth'))
    assert model['init_cfg'] == dict(type='Pretrained', checkpoint='work_dirs/x/epoch_5.pth')


def test_mmpretrain_model_takes_the_top_level_preprocessor_and_merges_deletions():
    model = resolve_model_cfg(dict(cfg_path=MBV3, num_classes=6))
    assert model['type'] == 'mmpretrain.ImageClassifier'
    assert model['head']['num_classes'] == 6 and model['head']['in_channels'] == 576
    # mmpretrain keeps the preprocessor at the top level of its configs (imagenet_bs128_mbv3).
    assert model['data_preprocessor']['mean'] == [123.675, 116.28, 103.53]
    wrapped = resolve_model_cfg(dict(
        cfg_path=MBV3, num_classes=6,
        data_preprocessor=dict(type='fdkd_mm.VideoDataPreprocessor'),
        backbone=dict(_delete_=True, type='fdkd_mm.FrameFoldingBackbone',
                      backbone=dict(type='mmpretrain.MobileNetV3', arch='small')),
        neck=dict(dim=3)))
    assert wrapped['backbone'] == dict(type='fdkd_mm.FrameFoldingBackbone',
                                       backbone=dict(type='mmpretrain.MobileNetV3',
                                                     arch='small'))
    assert wrapped['neck'] == dict(type='GlobalAveragePooling', dim=3)
    classifier = MODELS.build(wrapped).eval()
    with torch.no_grad():
        scores = classifier(torch.randn(2, 3, 1, 32, 32), mode='tensor')
    assert scores.shape == (2, 6)


def test_other_configs_pass_through_unchanged():
    cfg = dict(type='mmseg.EncoderDecoder', backbone=dict(type='ResNetV1c'))
    assert resolve_model_cfg(cfg) is cfg


@pytest.mark.parametrize('cfg, error, match', [
    (dict(cfg_path='pspnet/pspnet_r18.py'), ValueError, "expected '<package>::"),
    (dict(cfg_path='mmsegg::pspnet/x.py'), ValueError, "'mmsegg' is not installed"),
    (dict(cfg_path='mmseg::pspnet/no_such_config.py'), FileNotFoundError, 'no_such_config'),
    (dict(cfg_path=PSPNET, pretrained=3), TypeError, 'pretrained must be'),
])
def test_bad_references_say_what_is_wrong(cfg, error, match):
    with pytest.raises(error, match=match):
        resolve_model_cfg(cfg)


def test_num_classes_without_a_head_is_an_error(monkeypatch):
    from mmengine.config import Config

    from fdkd_mm.models import zoo
    headless = Config(dict(model=dict(type='ImageClassifier', backbone=dict(type='ResNet'))))
    monkeypatch.setattr(zoo, 'load_zoo_config', lambda path, with_weights=False: headless)
    with pytest.raises(ValueError, match='has none of the heads'):
        resolve_model_cfg(dict(cfg_path=MBV3, num_classes=3))


def make_seg_batch(gen: torch.Generator, size=(64, 64)) -> dict:
    """Two RGB-D samples as the NYU pipeline packs them (depth replicated to 3 channels)."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 40, (1, *size), generator=gen))
        samples.append(sample)
    return dict(inputs=dict(
        rgb=[torch.randint(0, 256, (3, *size), generator=gen, dtype=torch.uint8)
             for _ in samples],
        depth=[(torch.rand(1, *size, generator=gen) * 10).expand(3, -1, -1) for _ in samples]),
        data_samples=samples)


def resolved(path: str):
    """A mixing config with its zoo student resolved, as MODELS.build will do."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    cfg.model.student = resolve_model_cfg(cfg.model.student.to_dict())
    cfg.model.teacher_ckpt = None
    return cfg


def test_pspnet_student_mixing_config_distils_from_the_deeplab_depth_teacher():
    from fdkd_mm.registry import MODELS
    cfg = resolved('configs/mixing/fdkd_dlv3p-r18-depth_pspnet-r18-rgb_nyu.py')
    student = cfg.model.student
    assert student['type'] == 'mmseg.EncoderDecoder'
    assert student['decode_head']['type'] == 'PSPHead'
    assert student['decode_head']['num_classes'] == 40 == student['auxiliary_head']['num_classes']
    assert all(n['type'] == 'BN' for n in walk(student, 'norm_cfg'))  # not the zoo's SyncBN
    for role in ('student', 'teacher'):  # small crops, no pretrained download in the test
        cfg.model[role].data_preprocessor.size = (64, 64)
        cfg.model[role].pop('pretrained', None)
    distiller = MODELS.build(cfg.model)
    gen = torch.Generator().manual_seed(0)
    batch = make_seg_batch(gen)
    losses = distiller.loss(**distiller.data_preprocessor(batch, True))
    # 128-d PSPNet bottleneck (1/8) against the 128-d DeepLabV3+ sep_bottleneck (1/4).
    assert {'distill.loss_low', 'distill.loss_high'} <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())


def test_mobilenetv3_student_mixing_config_distils_from_the_audio_teacher():
    from fdkd_mm.registry import MODELS
    cfg = resolved('configs/mixing/fdkd_r18-audio_mbv3-visual_cremad.py')
    student = cfg.model.student
    assert student['head']['type'] == 'StackedLinearClsHead'
    assert student['head']['num_classes'] == 6 and student['head']['topk'] == (1, )
    distiller = MODELS.build(cfg.model)
    gen = torch.Generator().manual_seed(0)
    batch = dict(
        inputs=dict(audio=[torch.randn(1, 64, 48, generator=gen) for _ in range(2)],
                    visual=[torch.randint(0, 256, (3, 1, 32, 32), generator=gen,
                                          dtype=torch.uint8) for _ in range(2)]),
        data_samples=[DataSample().set_gt_label(label) for label in (0, 5)])
    losses = distiller.loss(**distiller.data_preprocessor(batch, True))
    # The 576-d Hardswish input, projected to the teacher's 512 by the connector.
    assert distiller.connectors['student_feat'].fc.weight.shape == (512, 576)
    assert {'distill.loss_low', 'distill.loss_high'} <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())
