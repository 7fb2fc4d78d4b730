"""CrossModalDistiller: every method through recorders → connectors → losses, and its errors."""
import copy

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from torch import nn

from fdkd_mm.models.distillers import gather_labels
from fdkd_mm.models.losses import OFDLoss, ofd_margin_from_bn
from fdkd_mm.registry import MODELS

NUM_CLS_CLASSES = 6  # conftest's tiny models
STAGE_CHANNELS = [16, 32, 64]  # layer2..4 of the tiny ResNets (base width 8)

# Tensors recorded from both networks, per task. cls: mmpretrain ImageClassifier; seg: mmseg
# DeepLabV3+ (decode head features are 16-d in the tiny segmentor).
RECORDERS = dict(
    cls=dict(
        logits=dict(path='head.fc'),
        # Pre-activation of the last block, pooled: audio and visual maps differ in size and do
        # not align spatially, so PKD and OFD compare vectors on classification.
        feat=dict(path='backbone.layer4.1.relu', source='input', call_index=1, pool='avg'),
        bn_weight=dict(path='backbone.layer4.1.bn2.weight', source='parameter'),
        bn_bias=dict(path='backbone.layer4.1.bn2.bias', source='parameter'),
        stage2=dict(path='backbone.layer2'), stage3=dict(path='backbone.layer3'),
        stage4=dict(path='backbone.layer4')),
    seg=dict(
        logits=dict(path='decode_head.conv_seg'),
        feat=dict(path='decode_head.sep_bottleneck'),
        # Input of the last in-place ReLU = the pre-ReLU decode feature (cloned automatically).
        preact=dict(path='decode_head.sep_bottleneck.1.pointwise_conv.activate', source='input'),
        bn_weight=dict(path='decode_head.sep_bottleneck.1.pointwise_conv.bn.weight',
                       source='parameter'),
        bn_bias=dict(path='decode_head.sep_bottleneck.1.pointwise_conv.bn.bias',
                     source='parameter'),
        stage2=dict(path='backbone.layer2'), stage3=dict(path='backbone.layer3'),
        stage4=dict(path='backbone.layer4')))
FEAT_CHANNELS = dict(cls=64, seg=16)
PREACT = dict(cls='feat', seg='preact')  # the pre-ReLU feature PKD and OFD distil


def student(recorder, **extra):
    return dict(from_student=True, recorder=recorder, **extra)


def teacher(recorder, **extra):
    return dict(from_student=False, recorder=recorder, **extra)


LABELS = dict(labels=True)


def method_parts(method: str, task: str) -> dict:
    """Losses, mappings, connectors and trainability of one baseline on one task."""
    channels = FEAT_CHANNELS[task]
    logits = dict(student_logits=student('logits'), teacher_logits=teacher('logits'))
    # Dense logit losses take the label map to skip ignored pixels; classification KD does not.
    dense_target = dict(target=LABELS) if task == 'seg' else {}
    if method in ('KD', 'DIST', 'DKD', 'NKD', 'DML'):
        loss_type = dict(KD='KDLoss', DIST='DISTLoss', DKD='DKDLoss', NKD='NKDLoss',
                         DML='DMLLoss')[method]
        mapping = dict(logits)
        if method in ('DKD', 'NKD'):
            mapping['target'] = LABELS
        elif method in ('KD', 'DML'):
            mapping.update(dense_target)
        return dict(losses=dict(loss_logits=dict(type=loss_type)),
                    mappings=dict(loss_logits=mapping), trainable=method == 'DML')
    if method == 'Feat':
        return dict(
            losses=dict(loss_feat=dict(type='FitNetLoss')),
            connectors=dict(s_proj=dict(type='ProjectionConnector', in_channels=channels,
                                        out_channels=channels)),
            mappings=dict(loss_feat=dict(student_feat=student('feat', connector='s_proj'),
                                         teacher_feat=teacher('feat'))))
    if method == 'PKD':
        return dict(losses=dict(loss_pkd=dict(type='PKDLoss')),
                    mappings=dict(loss_pkd=dict(student_feat=student(PREACT[task]),
                                                teacher_feat=teacher(PREACT[task]))))
    if method == 'OFD':
        return dict(
            losses=dict(loss_ofd=dict(type='OFDLoss')),
            connectors=dict(ofd=dict(type='OFDConnector', in_channels=channels,
                                     out_channels=channels)),
            mappings=dict(loss_ofd=dict(student_feat=student(PREACT[task], connector='ofd'),
                                        teacher_feat=teacher(PREACT[task]),
                                        bn_weight=teacher('bn_weight'),
                                        bn_bias=teacher('bn_bias'))))
    if method == 'AFD':
        stages = ['stage2', 'stage3', 'stage4']
        return dict(
            losses=dict(loss_afd=dict(type='AFDLoss', student_channels=STAGE_CHANNELS,
                                      teacher_channels=STAGE_CHANNELS, qk_dim=16)),
            mappings=dict(loss_afd=dict(student_feats=student(stages),
                                        teacher_feats=teacher(stages))))
    if method == 'C2KD':
        return dict(
            losses=dict(loss_c2kd=dict(type='C2KDLoss', student_channels=64,
                                       teacher_channels=64, num_classes=NUM_CLS_CLASSES)),
            mappings=dict(loss_c2kd=dict(student_feat=student('stage4'),
                                         teacher_feat=teacher('stage4'), target=LABELS,
                                         **logits)),
            trainable=True)
    raise KeyError(method)


def crossmodal_cfg(fd_cfg: dict, method: str, task: str) -> dict:
    """A CrossModalDistiller config for ``method`` on the models / inputs of a conftest config.

    Both networks offer the task's whole tensor vocabulary; the distiller keeps what the
    method's mappings use.
    """
    parts = method_parts(method, task)
    cfg = copy.deepcopy(fd_cfg)
    cfg.update(student_recorders=copy.deepcopy(RECORDERS[task]),
               teacher_recorders=copy.deepcopy(RECORDERS[task]), distill_losses=parts['losses'],
               loss_forward_mappings=parts['mappings'], connectors=parts.get('connectors'),
               teacher_trainable=parts.get('trainable', False))
    return cfg


def snapshot(module: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


@pytest.fixture
def epoch_hub():
    """DKD reads the epoch from the current MessageHub, as under a Runner; dropped afterwards."""
    name = f'test_crossmodal_{id(object())}'
    hub = MessageHub.get_instance(name)
    hub.update_info('epoch', 3)
    yield hub
    MessageHub._instance_dict.pop(name, None)


CLS_METHODS = ['KD', 'DIST', 'DKD', 'NKD', 'DML', 'Feat', 'PKD', 'OFD', 'AFD', 'C2KD']
SEG_METHODS = ['KD', 'DIST', 'DKD', 'NKD', 'DML', 'Feat', 'PKD', 'OFD', 'AFD']
CASES = [('cls', m) for m in CLS_METHODS] + [('seg', m) for m in SEG_METHODS]


@pytest.mark.parametrize('task, method', CASES, ids=[f'{t}-{m}' for t, m in CASES])
def test_every_baseline_trains_two_steps(task, method, request, batch_factory, epoch_hub):
    cfg = crossmodal_cfg(request.getfixturevalue(f'{task}_distiller_cfg'), method, task)
    model = MODELS.build(cfg)
    trainable = cfg['teacher_trainable']
    # Only what the method maps is recorded: no hook on any other tensor of the vocabulary.
    used = {name for sources in model.loss_sources.values() for source in sources.values()
            for name in source.recorders if source.from_student}
    assert set(model.student_recorders) == used
    teacher_before = snapshot(model.teacher)
    optim = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9))
    model.train()
    logs = [model.train_step(batch_factory(task, seed), optim) for seed in range(2)]

    for log in logs:
        assert all(torch.isfinite(torch.as_tensor(v)) for v in log.values()), log
    loss_name = next(iter(cfg['distill_losses']))
    distill_keys = {k for k in logs[0] if k.startswith('distill.')}
    assert distill_keys and all(k.startswith(f'distill.{loss_name}') for k in distill_keys)
    assert any(k.startswith('student.') for k in logs[0])
    teacher_keys = {k for k in logs[0] if k.startswith('teacher.')}
    changed = [k for k, v in snapshot(model.teacher).items()
               if v.is_floating_point() and not torch.equal(v, teacher_before[k])]
    if trainable:
        assert teacher_keys, logs[0].keys()
        assert any('backbone' in k and 'running' not in k for k in changed), changed
        assert model.teacher.training
        assert all(p.requires_grad for p in model.teacher.parameters())
    else:
        assert not teacher_keys
        # Frozen: weights *and* BN statistics unchanged, no grads, eval mode throughout.
        assert not changed and all(torch.equal(v, teacher_before[k])
                                   for k, v in snapshot(model.teacher).items())
        assert not any(p.requires_grad for p in model.teacher.parameters())
        assert all(not m.training for m in model.teacher.modules())


def test_dict_losses_are_logged_under_the_loss_name(cls_distiller_cfg, cls_batch):
    model = MODELS.build(crossmodal_cfg(cls_distiller_cfg, 'C2KD', 'cls'))
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    assert {k for k in losses if k.startswith('distill.')} == {
        'distill.loss_c2kd.loss_student_proxy', 'distill.loss_c2kd.loss_teacher_proxy',
        'distill.loss_c2kd.loss_proxy_distill'}
    assert {k for k in losses if k.startswith('teacher.')} == {'teacher.loss'}
    # The trainable teacher's recorded tensors keep their graph: C2KD trains it through them.
    assert model.teacher_recorders.feature('logits').requires_grad


def test_identity_connector_and_connector_vocabulary(cls_distiller_cfg, cls_batch):
    cfg = crossmodal_cfg(cls_distiller_cfg, 'Feat', 'cls')
    plain = copy.deepcopy(cfg)
    plain['connectors'] = dict(s_proj=dict(type='IdentityConnector'),
                               unused=dict(type='ProjectionConnector', in_channels=4,
                                           out_channels=4))
    identity, projected = MODELS.build(plain), MODELS.build(cfg)
    # A connector no mapping uses is not built; the identity has no parameters.
    assert set(identity.connectors) == set(projected.connectors) == {'s_proj'}
    assert not list(identity.connectors.parameters())
    identity.student.load_state_dict(projected.student.state_dict())
    identity.teacher.load_state_dict(projected.teacher.state_dict())
    losses = identity(**identity.data_preprocessor(cls_batch, True), mode='loss')
    student = identity.student_recorders.feature('feat').mean((2, 3))
    teacher = identity.teacher_recorders.feature('feat').mean((2, 3))
    torch.testing.assert_close(losses['distill.loss_feat'], ((student - teacher) ** 2).mean())


def test_ofd_margin_follows_the_loaded_teacher_bn(cls_distiller_cfg, cls_batch, tmp_path,
                                                  model_factory):
    teacher = MODELS.build(dict(model_factory.classifier(1), _scope_='mmpretrain'))
    bn = teacher.backbone.layer4[1].bn2
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.uniform_(-1.0, 1.0)
    ckpt = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, ckpt)
    model = MODELS.build(dict(crossmodal_cfg(cls_distiller_cfg, 'OFD', 'cls'),
                              teacher_ckpt=str(ckpt)))
    model.init_weights()
    model.eval()  # connector BN uses running stats: recomputing it below gives the same values
    data = model.data_preprocessor(cls_batch, True)
    losses = model(**data, mode='loss')

    student_pre = model.student_recorders.feature('feat').mean((2, 3))
    teacher_pre = model.teacher_recorders.feature('feat').mean((2, 3))
    expected_margin = ofd_margin_from_bn(bn)
    # The BN parameters reach the loss live, through parameter recorders.
    teacher_bn = model.teacher.backbone.layer4[1].bn2
    assert model.teacher_recorders.feature('bn_weight') is teacher_bn.weight
    torch.testing.assert_close(ofd_margin_from_bn(model.teacher.backbone.layer4[1].bn2),
                               expected_margin)
    expected = OFDLoss()(model.connectors['ofd'](student_pre), teacher_pre,
                         margin=expected_margin)
    torch.testing.assert_close(losses['distill.loss_ofd'], expected)


def test_trainable_teacher_follows_train_and_eval(cls_distiller_cfg):
    model = MODELS.build(crossmodal_cfg(cls_distiller_cfg, 'DML', 'cls'))
    model.train()
    assert model.teacher.training and all(m.training for m in model.teacher.modules())
    model.eval()
    assert not model.teacher.training


# ----------------------------------------------------------------------- build-time errors
def broken(cfg: dict, edit) -> dict:
    cfg = copy.deepcopy(cfg)
    edit(cfg)
    return cfg


def set_in(*keys_and_value):
    *keys, value = keys_and_value

    def edit(cfg):
        node = cfg
        for key in keys[:-1]:
            node = node[key]
        if value is KeyError:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return edit


MAP = 'loss_forward_mappings'
ERRORS = {
    'unknown recorder': (
        'KD', set_in(MAP, 'loss_logits', 'student_logits', 'recorder', 'logit'),
        r"loss 'loss_logits' argument 'student_logits': no student recorder named 'logit' "
        r"\(did you mean 'logits'\?\); valid student recorders: \['logits', 'feat', "),
    'unmapped required argument': (
        'DKD', set_in(MAP, 'loss_logits', 'target', KeyError),
        r"'loss_logits' \(DKDLoss.forward\): required argument\(s\) \['target'\] are not mapped"),
    'unknown argument': (
        'KD', set_in(MAP, 'loss_logits', 'labels', LABELS),
        r"'loss_logits' \(KDLoss.forward\) takes no argument\(s\) \['labels'\]; it accepts "
        r"\['student_logits', 'teacher_logits', 'target'\]"),
    'unknown connector': (
        'Feat', set_in(MAP, 'loss_feat', 'student_feat', 'connector', 's_prj'),
        r"no connector named 's_prj' \(did you mean 's_proj'\?\); valid connectors: \['s_proj'\]"),
    'parameter recorder on a missing parameter': (
        'OFD', set_in('teacher_recorders', 'bn_weight', 'path', 'backbone.layer4.1.bn2.wieght'),
        r"teacher recorder 'bn_weight': recorder path 'backbone.layer4.1.bn2.wieght' is not a "
        r"parameter or buffer.*'backbone.layer4.1.bn2.weight'"),
    'unknown mapping key': (
        'KD', set_in(MAP, 'loss_logits', 'student_logits', 'recoder', 'logits'),
        r"argument 'student_logits': unknown mapping key\(s\) \['recoder'\]"),
    'missing from_student': (
        'KD', set_in(MAP, 'loss_logits', 'student_logits', 'from_student', KeyError),
        r"argument 'student_logits': say whose recorder it is with from_student"),
    'loss without mapping': (
        'KD', set_in(MAP, 'loss_logits', KeyError),
        r"distill loss 'loss_logits' has no entry in loss_forward_mappings"),
    'mapping of unknown loss': (
        'KD', set_in(MAP, 'loss_kd', {}),
        r"names losses \['loss_kd'\] that are not in distill_losses; valid names: "
        r"\['loss_logits'\]"),
    'name without loss': (
        'KD', set_in('distill_losses', 'kd', dict(type='KDLoss')),
        r"distill loss name 'kd' must contain \"loss\""),
    'one connector for a list of recorders': (
        'AFD', set_in(MAP, 'loss_afd', 'student_feats', 'connector', 'proj'),
        r"argument 'student_feats': give one connector name for one recorder, a list"),
    'bad recorder path': (
        'KD', set_in('teacher_recorders', 'logits', 'path', 'head.fcc'),
        r"teacher recorder 'logits': recorder path 'head.fcc'.*'head.fc'"),
}


@pytest.mark.parametrize('case', list(ERRORS))
def test_bad_config_error_names_the_fault(case, cls_distiller_cfg):
    method, edit, message = ERRORS[case]
    cfg = broken(crossmodal_cfg(cls_distiller_cfg, method, 'cls'), edit)
    with pytest.raises((ValueError, TypeError), match=message):
        MODELS.build(cfg)


def test_half_given_bn_parameters_are_an_error_at_the_first_step(cls_distiller_cfg,
                                                                 cls_batch):
    cfg = broken(crossmodal_cfg(cls_distiller_cfg, 'OFD', 'cls'),
                 set_in(MAP, 'loss_ofd', 'bn_bias', KeyError))
    model = MODELS.build(cfg)
    with pytest.raises(ValueError, match='give both bn_weight and bn_bias'):
        model(**model.data_preprocessor(cls_batch, True), mode='loss')


def test_video_student_with_several_losses_sharing_recorders(cls_distiller_cfg, model_factory):
    """CREMA-D layout: frame-folded video student; KD + Feat + PKD (frame-averaged maps)."""
    from mmpretrain.structures import DataSample
    cfg = crossmodal_cfg(cls_distiller_cfg, 'Feat', 'cls')
    cfg['student'] = dict(
        model_factory.classifier(3), data_preprocessor=dict(type='fdkd_mm.VideoDataPreprocessor'),
        backbone=dict(type='fdkd_mm.FrameFoldingBackbone',
                      backbone=dict(type='mmpretrain.ResNet', depth=18, stem_channels=8,
                                    base_channels=8)),
        neck=dict(type='GlobalAveragePooling', dim=3))
    inner = dict(path='backbone.backbone.layer4.1.relu', source='input', call_index=1)
    cfg['student_recorders'] = dict(logits=dict(path='head.fc'), feat=dict(inner, pool='avg'),
                                    maps=dict(inner, pool='frames'))
    cfg['teacher_recorders'] = dict(
        logits=dict(path='head.fc'), feat=RECORDERS['cls']['feat'],
        maps=dict(path='backbone.layer4.1.relu', source='input', call_index=1))
    cfg['distill_losses'].update(loss_kd=dict(type='KDLoss'), loss_pkd=dict(type='PKDLoss'))
    cfg['loss_forward_mappings'].update(
        loss_kd=dict(student_logits=student('logits'), teacher_logits=teacher('logits')),
        loss_pkd=dict(student_feat=student('maps'), teacher_feat=teacher('maps')))
    model = MODELS.build(cfg)
    gen = torch.Generator().manual_seed(0)
    batch = dict(inputs=dict(
        audio=[torch.randn(1, 64, 48, generator=gen) for _ in range(3)],
        visual=[torch.randint(0, 256, (3, 2, 32, 32), generator=gen, dtype=torch.uint8)
                for _ in range(3)]),
        data_samples=[DataSample().set_gt_label(label) for label in (0, 4, 5)])
    model.train()
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    assert {k for k in losses if k.startswith('distill.')} == {
        'distill.loss_feat', 'distill.loss_kd', 'distill.loss_pkd'}
    assert all(torch.isfinite(v) for v in losses.values())
    # Student features come folded as (N*T, C, h, w): 3 clips of 2 frames.
    assert model.student_recorders.feature('maps').shape[0] == 6


def test_dense_logits_of_another_resolution_are_resampled(seg_distiller_cfg, seg_batch):
    """A teacher predicting at 1/8 and a student at 1/4 (another output stride / decode head):
    the logit losses compare on the student's grid instead of failing at the first step."""
    cfg = crossmodal_cfg(seg_distiller_cfg, 'KD', 'seg')
    # An FCN head on the dilated backbone predicts at 1/8; DeepLabV3+'s skip gives 1/4.
    cfg['teacher']['decode_head'] = dict(
        type='FCNHead', in_channels=64, in_index=3, channels=16, num_convs=1,
        concat_input=False, num_classes=5, norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False, loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0))
    model = MODELS.build(cfg)
    data = model.data_preprocessor(seg_batch, True)
    losses = model(**data, mode='loss')
    student_logits = model.student_recorders.feature('logits')
    teacher_logits = model.teacher_recorders.feature('logits')
    assert teacher_logits.shape[-2:] == (4, 4) and student_logits.shape[-2:] == (8, 8)
    resampled = torch.nn.functional.interpolate(teacher_logits, size=(8, 8), mode='bilinear',
                                                align_corners=False)
    expected = model.losses['loss_logits'](student_logits, resampled,
                                           gather_labels(data['data_samples']))
    torch.testing.assert_close(losses['distill.loss_logits'], expected)
