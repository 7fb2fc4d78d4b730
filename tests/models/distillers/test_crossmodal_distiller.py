"""CrossModalDistiller: every baseline of Tables 2-3 through recorders → connectors → losses."""
import copy

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from torch import nn

from fdkd_mm.models.distillers.configurable import pool_recorded
from fdkd_mm.models.losses import OFDLoss, ofd_margin_from_bn
from fdkd_mm.models.recorders import RecorderGroup
from fdkd_mm.registry import MODELS

NUM_CLS_CLASSES = 6  # conftest's tiny models
STAGE_CHANNELS = [16, 32, 64]  # layer2..4 of the tiny ResNets (base width 8)
FD_ONLY_KEYS = ('student_recorder', 'teacher_recorder', 'pool', 'num_classes', 'in_channels')

# Tensors recorded from both networks, per task. cls: mmpretrain ImageClassifier; seg: mmseg
# DeepLabV3+ (decode head features are 16-d in the tiny segmentor).
RECORDERS = dict(
    cls=dict(
        logits=dict(path='head.fc'),
        # Pre-activation of the last block, pooled: audio and visual maps differ in size and do
        # not align spatially, so PKD and OFD compare vectors on classification.
        feat=dict(path='backbone.layer4.1.relu', source='input', call_index=1, pool='avg'),
        stage2=dict(path='backbone.layer2'), stage3=dict(path='backbone.layer3'),
        stage4=dict(path='backbone.layer4')),
    seg=dict(
        logits=dict(path='decode_head.conv_seg'),
        feat=dict(path='decode_head.sep_bottleneck'),
        # Input of the last in-place ReLU = the pre-ReLU decode feature (cloned automatically).
        preact=dict(path='decode_head.sep_bottleneck.1.pointwise_conv.activate', source='input'),
        stage2=dict(path='backbone.layer2'), stage3=dict(path='backbone.layer3'),
        stage4=dict(path='backbone.layer4')))
FEAT_CHANNELS = dict(cls=64, seg=16)
PREACT = dict(cls='feat', seg='preact')  # the pre-ReLU feature PKD and OFD distil
OFD_BN = dict(cls='backbone.layer4.1.bn2', seg='decode_head.sep_bottleneck.1.pointwise_conv.bn')


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
                                        margin=dict(teacher_bn=OFD_BN[task]))))
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
    """A CrossModalDistiller config for ``method`` on the models / inputs of a conftest config."""
    parts = method_parts(method, task)
    cfg = {k: v for k, v in copy.deepcopy(fd_cfg).items() if k not in FD_ONLY_KEYS}
    used = set()
    for mapping in parts['mappings'].values():
        for source in mapping.values():
            names = source.get('recorder', [])
            used.update([names] if isinstance(names, str) else names)
    recorders = {name: rec for name, rec in RECORDERS[task].items() if name in used}
    cfg.update(type='CrossModalDistiller', student_recorders=recorders,
               teacher_recorders=copy.deepcopy(recorders), distill_losses=parts['losses'],
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


def test_dict_losses_are_flattened_with_their_keys(cls_distiller_cfg, cls_batch):
    model = MODELS.build(crossmodal_cfg(cls_distiller_cfg, 'C2KD', 'cls'))
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    assert {k for k in losses if k.startswith('distill.')} == {
        'distill.loss_c2kd.loss_student_proxy', 'distill.loss_c2kd.loss_teacher_proxy',
        'distill.loss_c2kd.loss_proxy_distill'}
    assert {k for k in losses if k.startswith('teacher.')} == {'teacher.loss'}
    # The trainable teacher's recorded tensors keep their graph: C2KD trains it through them.
    assert model.teacher_recorders.feature('logits').requires_grad


@pytest.mark.parametrize('connector', [False, True], ids=['plain', 'projection'])
def test_feat_baseline_equals_fd_with_every_ablation_switch_off(connector, cls_distiller_cfg,
                                                                cls_batch):
    fd_cfg = dict(cls_distiller_cfg,
                  ablation=dict(frequency=False, align=False, scale=False, log=False))
    feat_cfg = crossmodal_cfg(cls_distiller_cfg, 'Feat', 'cls')
    if connector:
        fd_cfg['student_connector'] = dict(type='ProjectionConnector', in_channels=64,
                                           out_channels=64)
    else:
        feat_cfg['connectors'] = None
        del feat_cfg['loss_forward_mappings']['loss_feat']['student_feat']['connector']
    fd, feat = MODELS.build(fd_cfg), MODELS.build(feat_cfg)
    feat.student.load_state_dict(fd.student.state_dict())
    feat.teacher.load_state_dict(fd.teacher.state_dict())
    if connector:
        feat.connectors['s_proj'].load_state_dict(fd.student_connector.state_dict())
    fd.train()
    feat.train()

    fd_losses = fd(**fd.data_preprocessor(copy.deepcopy(cls_batch), True), mode='loss')
    feat_losses = feat(**feat.data_preprocessor(cls_batch, True), mode='loss')
    assert {k for k in fd_losses if k.startswith('distill.')} == {'distill.loss_feat'}
    assert {k for k in feat_losses if k.startswith('distill.')} == {'distill.loss_feat'}
    torch.testing.assert_close(feat_losses['distill.loss_feat'], fd_losses['distill.loss_feat'],
                               rtol=0, atol=1e-6)
    for key, value in fd_losses.items():
        if key.startswith('student.'):
            torch.testing.assert_close(feat_losses[key], value, rtol=0, atol=1e-6)


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


def test_frames_pool_averages_folded_frames_only():
    feature = torch.arange(2 * 3 * 4 * 2 * 2, dtype=torch.float32).view(6, 4, 2, 2)
    pooled = pool_recorded(feature, batch_size=2, pool='frames')
    torch.testing.assert_close(pooled, feature.view(2, 3, 4, 2, 2).mean(1))
    assert pool_recorded(feature, 2, 'avg').shape == (2, 4)


def test_recorder_group_records_several_tensors_and_removes_hooks():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    group = RecorderGroup(model, dict(hidden=dict(path='0'), out=dict(path='2')),
                          role='student')
    x = torch.randn(5, 3)
    with group:
        out = model(x)
    torch.testing.assert_close(group.feature('hidden'), model[0](x))
    torch.testing.assert_close(group.features()['out'], out)
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
    with pytest.raises(RuntimeError, match='boom'), group:
        raise RuntimeError('boom')
    assert not any(m._forward_hooks for m in model.modules())
    with pytest.raises(KeyError, match=r"no student recorder named 'hiden'.*\['hidden', 'out'\]"):
        group['hiden']
    with pytest.raises(ValueError, match=r"student recorder 'bad': recorder path '9'"):
        RecorderGroup(model, dict(bad=dict(path='9')), role='student')


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
        r"\(did you mean 'logits'\?\); valid student recorders: \['logits'\]"),
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
    'unused connector': (
        'KD', set_in('connectors', dict(extra=dict(type='ProjectionConnector', in_channels=4,
                                                   out_channels=4))),
        r"connectors \['extra'\] are used by no loss_forward_mappings entry"),
    'not a batchnorm': (
        'OFD', set_in(MAP, 'loss_ofd', 'margin', 'teacher_bn', 'backbone.layer4.1.conv2'),
        r"teacher_bn 'backbone.layer4.1.conv2' is a Conv2d; .*'backbone.layer4.1.bn2'"),
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


def test_fd_distiller_accepts_a_trainable_teacher(cls_distiller_cfg, cls_batch):
    model = MODELS.build(dict(cls_distiller_cfg, teacher_trainable=True))
    model.train()
    assert model.teacher.training
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    assert 'teacher.loss' in losses and 'distill.loss_low' in losses
    losses['teacher.loss'].backward()
    assert model.teacher.head.fc.weight.grad is not None
