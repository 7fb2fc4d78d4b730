"""FusionClassifier: an mmpretrain-style classifier of two modalities, and a frozen teacher of
the one distiller that reads both modalities."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper

from fdkd_mm.errors import ConfigError
from fdkd_mm.registry import MODELS
from fdkd_mm.testing.tiny_models import BASE, NUM_CLS_CLASSES, tiny_classifier

WIDTH = 8 * BASE  # each tiny ResNet-18's pooled feature


def fusion_cfg(mode: str = 'concat', hidden: int = None) -> dict:
    """Audio (1x64x48) and visual (3x32x32) tiny ResNet-18s, pooled, fused, one head."""
    audio, visual = tiny_classifier(1), tiny_classifier(3, mean=[127.5] * 3, std=[64.0] * 3)
    fused = dict(concat=2 * WIDTH, sum=WIDTH, mlp=hidden)[mode]
    fusion = dict(type='FeatureFusion', mode=mode, in_channels=[WIDTH, WIDTH])
    if hidden is not None:
        fusion['hidden_channels'] = hidden
    return dict(
        type='FusionClassifier',
        data_preprocessor=dict(
            type='MultiModalDataPreprocessor',
            preprocessors=dict(audio=dict(audio['data_preprocessor'],
                                          type='mmpretrain.ClsDataPreprocessor'),
                               visual=dict(visual['data_preprocessor'],
                                           type='mmpretrain.ClsDataPreprocessor'))),
        backbones=dict(audio=dict(audio['backbone'], type='mmpretrain.ResNet'),
                       visual=dict(visual['backbone'], type='mmpretrain.ResNet')),
        necks=dict(audio=dict(type='mmpretrain.GlobalAveragePooling'),
                   visual=dict(type='mmpretrain.GlobalAveragePooling')),
        fusion=fusion,
        head=dict(type='mmpretrain.LinearClsHead', num_classes=NUM_CLS_CLASSES,
                  in_channels=fused, loss=dict(type='CrossEntropyLoss')))


def preprocessed(model, batch):
    return model.data_preprocessor(copy.deepcopy(batch), False)


@pytest.mark.parametrize('mode, hidden, width', [('concat', None, 2 * WIDTH),
                                                 ('sum', None, WIDTH), ('mlp', 16, 16)])
def test_fused_feature_is_the_fusion_of_the_branch_features(cls_batch, mode, hidden, width):
    torch.manual_seed(0)
    model = MODELS.build(fusion_cfg(mode, hidden)).eval()
    data = preprocessed(model, cls_batch)
    with torch.no_grad():
        (fused, ) = model.extract_feat(data['inputs'])
        # Independently: each backbone's last stage, averaged over space.
        audio = model.backbones['audio'](data['inputs']['audio'])[-1].mean((2, 3))
        visual = model.backbones['visual'](data['inputs']['visual'])[-1].mean((2, 3))
        logits = model(data['inputs'], mode='tensor')
    expected = {'concat': lambda: torch.cat([audio, visual], 1),
                'sum': lambda: audio + visual,
                'mlp': lambda: torch.relu(model.fusion.mlp[0](torch.cat([audio, visual], 1)))}
    assert fused.shape == (4, width)
    assert torch.allclose(fused, expected[mode](), atol=1e-6)
    head = model.head.fc
    assert torch.allclose(logits, fused @ head.weight.T + head.bias, atol=1e-6)


def test_trains_and_predicts_like_an_mmpretrain_classifier(cls_batch):
    torch.manual_seed(0)
    model = MODELS.build(fusion_cfg())
    model.init_weights()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    losses = model.train_step(copy.deepcopy(cls_batch), optim)
    assert set(losses) == {'loss'} and torch.isfinite(losses['loss'])
    for part in ('backbones.audio.', 'backbones.visual.', 'head.fc.'):  # both branches learn
        assert any(not torch.equal(v, before[k]) for k, v in model.state_dict().items()
                   if k.startswith(part) and v.is_floating_point()), part
    predictions = model.val_step(copy.deepcopy(cls_batch))
    assert len(predictions) == 4
    assert all(p.pred_score.shape == (NUM_CLS_CLASSES, ) for p in predictions)
    assert [int(p.gt_label) for p in predictions] == [int(s.gt_label)
                                                     for s in cls_batch['data_samples']]


def test_missing_modality_and_non_dict_inputs_are_named(cls_batch):
    model = MODELS.build(fusion_cfg()).eval()
    inputs = preprocessed(model, cls_batch)['inputs']
    with pytest.raises(KeyError, match=r"lacks modalities \['visual'\]"):
        model({'audio': inputs['audio']})
    with pytest.raises(TypeError, match='dict of modalities'):
        model(inputs['audio'])


def test_inconsistent_configs_are_refused():
    cfg = fusion_cfg()
    cfg['head']['in_channels'] = WIDTH
    with pytest.raises(ConfigError, match=rf"head.in_channels={WIDTH} but the 'concat' fusion "
                                          rf'gives {2 * WIDTH}'):
        MODELS.build(cfg)
    cfg = fusion_cfg()
    del cfg['data_preprocessor']['preprocessors']['visual']
    with pytest.raises(ConfigError, match=r"no preprocessor for \['visual'\]"):
        MODELS.build(cfg)
    cfg = fusion_cfg()
    cfg['necks']['depth'] = dict(type='mmpretrain.GlobalAveragePooling')
    with pytest.raises(ConfigError, match=r"necks names modalities \['depth'\]"):
        MODELS.build(cfg)
    cfg = fusion_cfg()
    del cfg['necks']['audio']  # the stage map reaches the fusion unpooled
    model = MODELS.build(cfg)
    with pytest.raises(ValueError, match="modality 'audio' gives features of shape"):
        model.extract_feat({'audio': torch.zeros(2, 1, 64, 48),
                            'visual': torch.zeros(2, 3, 32, 32)})


def distiller_cfg(teacher: dict, trainable: bool = False) -> dict:
    """Visual student, the fusion network as teacher of both modalities; KD + FitNet on the
    fused feature (the student's projected to it)."""
    return dict(
        type='CrossModalDistiller',
        student=tiny_classifier(3, mean=[127.5] * 3, std=[64.0] * 3),
        teacher=teacher, student_input='visual', teacher_input=['audio', 'visual'],
        teacher_trainable=trainable,
        student_recorders=dict(logits=dict(path='head.fc'),
                               feat=dict(path='backbone.layer4', pool='avg')),
        teacher_recorders=dict(logits=dict(path='head.fc'), feat=dict(path='fusion')),
        connectors=dict(student_feat=dict(type='ProjectionConnector', in_channels=WIDTH,
                                          out_channels=2 * WIDTH)),
        distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=4.0),
                            loss_feat=dict(type='FitNetLoss')),
        loss_forward_mappings=dict(
            loss_kd=dict(student_logits=dict(from_student=True, recorder='logits'),
                         teacher_logits=dict(from_student=False, recorder='logits'),
                         target=dict(labels=True)),
            loss_feat=dict(student_feat=dict(from_student=True, recorder='feat',
                                             connector='student_feat'),
                           teacher_feat=dict(from_student=False, recorder='feat'))),
        data_preprocessor=None)


def test_a_frozen_fusion_teacher_reads_both_modalities_and_stays_frozen(cls_batch):
    torch.manual_seed(0)
    distiller = MODELS.build(distiller_cfg(fusion_cfg()))
    distiller.init_weights()
    teacher = distiller.teacher
    assert sorted(distiller.data_preprocessor.preprocessors) == ['audio', 'visual']
    assert not any(p.requires_grad for p in teacher.parameters())
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    optim = OptimWrapper(torch.optim.SGD(
        [p for p in distiller.parameters() if p.requires_grad], lr=0.1))
    distiller.train()
    losses = distiller.train_step(copy.deepcopy(cls_batch), optim)
    assert {'distill.loss_kd', 'distill.loss_feat'} <= set(losses)
    assert not any(k.startswith('teacher.') for k in losses)  # frozen: no task loss
    assert all(not m.training for m in teacher.modules())
    assert all(torch.equal(v, before[k]) for k, v in teacher.state_dict().items())
    # The recorded teacher feature is the fusion network's own fused feature of the batch.
    data = distiller.data_preprocessor(copy.deepcopy(cls_batch), True)
    recorded = distiller.teachers['teacher'].recorded('feat', 4)
    with torch.no_grad():
        (fused, ) = teacher.extract_feat(data['inputs'])
    assert recorded.shape == (4, 2 * WIDTH) and torch.allclose(recorded, fused)


def test_a_trainable_fusion_teacher_learns_from_both_modalities(cls_batch):
    torch.manual_seed(0)
    distiller = MODELS.build(distiller_cfg(fusion_cfg(), trainable=True))
    distiller.init_weights()
    before = {k: v.clone() for k, v in distiller.teacher.state_dict().items()}
    optim = OptimWrapper(torch.optim.SGD(distiller.parameters(), lr=0.1))
    distiller.train()
    losses = distiller.train_step(copy.deepcopy(cls_batch), optim)
    assert 'teacher.loss' in losses and torch.isfinite(losses['teacher.loss'])
    for part in ('backbones.audio.', 'backbones.visual.', 'head.fc.'):
        assert any(not torch.equal(v, before[k])
                   for k, v in distiller.teacher.state_dict().items()
                   if k.startswith(part) and 'running' not in k and v.is_floating_point()), part
