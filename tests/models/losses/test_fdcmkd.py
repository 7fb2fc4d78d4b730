"""FDCMKDLoss in the distiller on tiny real mmpretrain (vector) and mmseg (dense) models."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper

from fdkd_mm.models.losses import FDCMKDLoss, FitNetLoss
from fdkd_mm.registry import MODELS
from fdkd_mm.testing.tiny_models import with_fd_loss

FULL_KEYS = {'distill.loss_low', 'distill.loss_high',
             'align.loss_low_student', 'align.loss_low_teacher',
             'align.loss_high_student', 'align.loss_high_teacher',
             'aux.loss_low', 'aux.loss_high'}
ALL_OFF = dict(frequency=False, align=False, scale=False, log=False)


def snapshot(module: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def fd(model) -> FDCMKDLoss:
    return model.losses['loss_fd']


def train_steps(model, batch_fn, steps: int = 3) -> list[dict]:
    optim = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9))
    model.train()
    return [model.train_step(batch_fn(seed), optim) for seed in range(steps)]


@pytest.mark.parametrize('task', ['cls', 'seg'])
def test_train_steps_distil_student_and_leave_teacher_untouched(task, request, batch_factory):
    model = MODELS.build(request.getfixturevalue(f'{task}_distiller_cfg'))
    teacher_before, student_before = snapshot(model.teacher), snapshot(model.student)
    heads_before = snapshot(fd(model).shared_heads)

    logs = train_steps(model, lambda seed: batch_factory(task, seed))

    student_keys = {k for k in logs[0] if k.startswith('student.') and 'loss' in k}
    assert student_keys, logs[0].keys()
    # The loss's keys are logged as they are: no 'distill.loss_fd.' prefix.
    logged_losses = {k for k in logs[0] if 'loss' in k}  # mmseg logs student.decode.acc_seg too
    assert logged_losses == FULL_KEYS | student_keys | {'loss'}
    for log in logs:
        assert all(torch.isfinite(torch.as_tensor(v)) for v in log.values()), log
    for key, value in snapshot(model.teacher).items():
        assert torch.equal(value, teacher_before[key]), key
    assert not any(p.requires_grad for p in model.teacher.parameters())
    assert all(not m.training for m in model.teacher.modules())
    changed = [k for k, v in snapshot(model.student).items()
               if v.is_floating_point() and not torch.equal(v, student_before[k])]
    assert any('backbone' in k for k in changed) and any('head' in k for k in changed)
    assert any(not torch.equal(v, heads_before[k])
               for k, v in snapshot(fd(model).shared_heads).items())


@pytest.mark.parametrize('switch, removed, added', [
    ('align', {'align.loss_low_student', 'align.loss_low_teacher',
               'align.loss_high_student', 'align.loss_high_teacher'}, set()),
    ('frequency', FULL_KEYS, {'distill.loss_feat', 'align.loss_feat_student',
                              'align.loss_feat_teacher'}),
    ('scale', set(), set()),
    ('log', set(), set()),
])
def test_each_ablation_switch_removes_exactly_its_terms(switch, removed, added,
                                                        cls_distiller_cfg, cls_batch):
    full = MODELS.build(cls_distiller_cfg)
    ablated = MODELS.build(with_fd_loss(cls_distiller_cfg, ablation={switch: False}))
    ablated.load_state_dict(full.state_dict(), strict=False)
    full_losses = full(**full.data_preprocessor(copy.deepcopy(cls_batch), True), mode='loss')
    ablated_losses = ablated(**ablated.data_preprocessor(cls_batch, True), mode='loss')
    assert set(ablated_losses) == (set(full_losses) - removed) | added
    if switch == 'scale':
        assert not fd(ablated).band_losses['low'].standardize
        assert not fd(ablated).band_losses['high'].standardize
        assert ablated_losses['distill.loss_low'] != full_losses['distill.loss_low']
    if switch == 'log':
        assert fd(ablated).band_losses['high'].mode == 'mse'
        assert ablated_losses['distill.loss_high'] != full_losses['distill.loss_high']
        assert ablated_losses['distill.loss_low'] == full_losses['distill.loss_low']


def test_all_switches_off_is_plain_feature_mse(cls_distiller_cfg, cls_batch):
    model = MODELS.build(with_fd_loss(cls_distiller_cfg, ablation=ALL_OFF))
    data = model.data_preprocessor(cls_batch, True)
    losses = model(**data, mode='loss')
    assert {k for k in losses if not k.startswith('student.')} == {'distill.loss_feat'}
    # The recorded block pre-activations, pooled by hand: the loss is their MSE.
    student = model.student_recorders.feature('feat').mean((2, 3))
    teacher = model.teacher_recorders.feature('feat').mean((2, 3))
    expected = ((student - teacher) ** 2).mean()
    torch.testing.assert_close(losses['distill.loss_feat'], expected)


def test_all_switches_off_equals_the_feat_baseline_loss():
    gen = torch.Generator().manual_seed(0)
    student = torch.randn(4, 16, 3, 5, generator=gen, requires_grad=True)
    teacher = torch.randn(4, 16, 3, 5, generator=gen)
    ablated = FDCMKDLoss(num_classes=3, in_channels=16, ablation=ALL_OFF)
    ours = ablated(student, teacher)['distill.loss_feat']
    feat = FitNetLoss()(student, teacher)
    torch.testing.assert_close(ours, feat, rtol=0, atol=1e-7)


@pytest.mark.parametrize('value', ['Flase', 'True', 0, 1, None])
def test_an_ablation_switch_must_be_a_real_bool(value):
    with pytest.raises(TypeError, match=rf"ablation.frequency={value!r} must be True or False, "
                                        rf"got a {type(value).__name__}"):
        FDCMKDLoss(num_classes=3, in_channels=16, ablation=dict(frequency=value))


def test_unknown_ablation_switch_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"ablation.freq is not a known switch \(known: "
                                         r"\['frequency', 'align', 'scale', 'log'\]\)"):
        FDCMKDLoss(num_classes=3, in_channels=16, ablation=dict(freq=False))


def test_width_mismatch_names_the_recorder_and_the_fix(cls_distiller_cfg, cls_batch,
                                                       model_factory):
    base = model_factory.base
    cfg = copy.deepcopy(cls_distiller_cfg)
    cfg['teacher']['backbone']['base_channels'] = base * 2
    cfg['teacher']['head']['in_channels'] = base * 16
    model = MODELS.build(with_fd_loss(cfg, in_channels=128))
    with pytest.raises(ValueError, match=r"'loss_fd' argument 'student_feat' expects 128 "
                                         r"channels, but student recorder 'feat' \(path "
                                         r"'backbone.layer4.1.relu', pool 'avg'\) gives 64.*"
                                         r"ProjectionConnector', in_channels=64, out_channels=128"):
        model(**model.data_preprocessor(copy.deepcopy(cls_batch), True), mode='loss')
    cfg['connectors'] = dict(student_feat=dict(type='ProjectionConnector', in_channels=64,
                                               out_channels=128))
    cfg['loss_forward_mappings']['loss_fd']['student_feat']['connector'] = 'student_feat'
    model = MODELS.build(with_fd_loss(cfg, in_channels=128))
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    assert FULL_KEYS <= set(losses)


def test_dense_teacher_map_at_another_resolution_is_resampled():
    gen = torch.Generator().manual_seed(0)
    loss = FDCMKDLoss(num_classes=3, in_channels=8)
    student = torch.randn(2, 8, 6, 8, generator=gen)
    teacher = torch.randn(2, 8, 3, 4, generator=gen)
    labels = torch.randint(0, 3, (2, 12, 16), generator=gen)
    resampled = torch.nn.functional.interpolate(teacher, size=(6, 8), mode='bilinear',
                                                align_corners=False)
    ours = loss(student, teacher, labels)
    expected = loss(student, resampled, labels)
    assert ours.keys() == expected.keys()
    for key in ours:
        torch.testing.assert_close(ours[key], expected[key])


def test_heads_need_the_labels():
    loss = FDCMKDLoss(num_classes=3, in_channels=8)
    with pytest.raises(ValueError, match=r'needs the labels \(map target=dict\(labels=True\)\)'):
        loss(torch.randn(2, 8), torch.randn(2, 8))


def test_bf16_autocast_on_cpu(seg_distiller_cfg, seg_batch):
    model = MODELS.build(seg_distiller_cfg)
    data = model.data_preprocessor(seg_batch, True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert model.student.backbone.stem[0].weight.grad is not None


def test_a_trainable_teacher_is_accepted(cls_distiller_cfg, cls_batch):
    model = MODELS.build(dict(cls_distiller_cfg, teacher_trainable=True))
    model.train()
    assert model.teacher.training
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    assert 'teacher.loss' in losses and 'distill.loss_low' in losses
    losses['teacher.loss'].backward()
    assert model.teacher.head.fc.weight.grad is not None
