"""FrequencyDecoupledDistiller on tiny real mmpretrain (vector) and mmseg (dense) models."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper

from fdkd_mm.registry import MODELS

FULL_KEYS = {'distill.loss_low', 'distill.loss_high',
             'align.loss_low_student', 'align.loss_low_teacher',
             'align.loss_high_student', 'align.loss_high_teacher',
             'aux.loss_low', 'aux.loss_high'}


def snapshot(module: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def train_steps(model, batch_fn, steps: int = 3) -> list[dict]:
    optim = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9))
    model.train()
    return [model.train_step(batch_fn(seed), optim) for seed in range(steps)]


@pytest.mark.parametrize('task', ['cls', 'seg'])
def test_train_steps_distil_student_and_leave_teacher_untouched(task, request, batch_factory):
    cfg = request.getfixturevalue(f'{task}_distiller_cfg')
    model = MODELS.build(cfg)
    teacher_before, student_before = snapshot(model.teacher), snapshot(model.student)
    heads_before = snapshot(model.shared_heads)

    logs = train_steps(model, lambda seed: batch_factory(task, seed))

    student_keys = {k for k in logs[0] if k.startswith('student.') and 'loss' in k}
    assert student_keys, logs[0].keys()
    assert FULL_KEYS | student_keys <= set(logs[0]) | {'loss'}
    for log in logs:
        assert all(torch.isfinite(torch.as_tensor(v)) for v in log.values()), log
    # The frozen teacher: weights *and* BN running statistics unchanged, no grads, eval mode.
    for key, value in snapshot(model.teacher).items():
        assert torch.equal(value, teacher_before[key]), key
    assert not any(p.requires_grad for p in model.teacher.parameters())
    assert not model.teacher.training and all(not m.training for m in model.teacher.modules())
    assert model.student.training
    changed = [k for k, v in snapshot(model.student).items()
               if v.is_floating_point() and not torch.equal(v, student_before[k])]
    assert any('backbone' in k for k in changed) and any('head' in k for k in changed)
    assert any(not torch.equal(v, heads_before[k]) for k, v in snapshot(model.shared_heads).items())


def test_teacher_stays_in_eval_after_train_and_is_deterministic(seg_distiller_cfg, seg_batch):
    model = MODELS.build(seg_distiller_cfg)
    model.train()
    assert not model.teacher.training
    data = model.data_preprocessor(seg_batch, True)
    # Dropout in the decode head would make two teacher passes differ if it were on.
    first = model.teacher_feature(data['inputs'])
    second = model.teacher_feature(data['inputs'])
    assert torch.equal(first, second)
    assert not first.requires_grad


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
    cfg = dict(cls_distiller_cfg, ablation={switch: False})
    ablated = MODELS.build(cfg)
    ablated.load_state_dict(full.state_dict(), strict=False)
    full_losses = full(**full.data_preprocessor(copy.deepcopy(cls_batch), True), mode='loss')
    ablated_losses = ablated(**ablated.data_preprocessor(cls_batch, True), mode='loss')
    assert set(ablated_losses) == (set(full_losses) - removed) | added
    if switch == 'scale':
        assert not ablated.band_losses['low'].standardize
        assert not ablated.band_losses['high'].standardize
        assert ablated_losses['distill.loss_low'] != full_losses['distill.loss_low']
    if switch == 'log':
        assert ablated.band_losses['high'].mode == 'mse'
        assert ablated_losses['distill.loss_high'] != full_losses['distill.loss_high']
        assert ablated_losses['distill.loss_low'] == full_losses['distill.loss_low']


def test_all_switches_off_is_plain_feature_mse(cls_distiller_cfg, cls_batch):
    cfg = dict(cls_distiller_cfg,
               ablation=dict(frequency=False, align=False, scale=False, log=False))
    model = MODELS.build(cfg)
    data = model.data_preprocessor(cls_batch, True)
    losses = model(**data, mode='loss')
    assert {k for k in losses if not k.startswith('student.')} == {'distill.loss_feat'}
    student = model.student_loss_and_feature(data['inputs'], data['data_samples'])[1]
    teacher = model.teacher_feature(data['inputs'])
    expected = ((student.mean((2, 3)) - teacher.mean((2, 3))) ** 2).mean()
    torch.testing.assert_close(losses['distill.loss_feat'], expected)


def test_recorded_feature_is_the_pre_activation_block_output(cls_distiller_cfg, cls_batch):
    model = MODELS.build(cls_distiller_cfg)
    data = model.data_preprocessor(cls_batch, True)
    recorder = model.teacher_recorder
    with torch.no_grad(), recorder:
        block_out = model.teacher.backbone(data['inputs']['audio'])[-1]
    preact = recorder.feature
    assert (preact < 0).any()  # before the final ReLU
    torch.testing.assert_close(torch.relu(preact), block_out)


def test_bf16_autocast_on_cpu(seg_distiller_cfg, seg_batch):
    model = MODELS.build(seg_distiller_cfg)
    data = model.data_preprocessor(seg_batch, True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert model.student.backbone.stem[0].weight.grad is not None


def test_predict_and_tensor_delegate_to_student(seg_distiller_cfg, seg_batch):
    model = MODELS.build(seg_distiller_cfg).eval()
    data = model.data_preprocessor(seg_batch, False)
    with torch.no_grad():
        ours = model(**data, mode='tensor')
        student = model.student(data['inputs']['rgb'], data['data_samples'], mode='tensor')
        predictions = model(**data, mode='predict')
    torch.testing.assert_close(ours, student)
    assert predictions[0].pred_sem_seg.data.shape == (1, 32, 32)


def test_teacher_checkpoint_is_loaded_and_survives_init_weights(cls_distiller_cfg, tmp_path,
                                                                model_factory):
    teacher = MODELS.build(dict(model_factory.classifier(1), _scope_='mmpretrain'))
    with torch.no_grad():
        for p in teacher.parameters():
            p.fill_(0.123)
    ckpt = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, ckpt)
    model = MODELS.build(dict(cls_distiller_cfg, teacher_ckpt=str(ckpt)))
    model.init_weights()
    for name, p in model.teacher.named_parameters():
        assert torch.all(p == 0.123), name


def test_missing_teacher_checkpoint_names_the_file(cls_distiller_cfg, tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        MODELS.build(dict(cls_distiller_cfg, teacher_ckpt=missing))


def test_wrong_recorder_path_lists_close_names(cls_distiller_cfg):
    cfg = dict(cls_distiller_cfg, student_recorder=dict(path='backbone.layer4.1.rleu'))
    with pytest.raises(ValueError, match=r"backbone.layer4.1.rleu.*'backbone.layer4.1.relu'"):
        MODELS.build(cfg)


def test_missing_modality_names_the_key(cls_distiller_cfg, cls_batch):
    model = MODELS.build(cls_distiller_cfg)
    del cls_batch['inputs']['audio']
    with pytest.raises(KeyError, match="lacks modalities \\['audio'\\]"):
        model.data_preprocessor(cls_batch, True)
    data = dict(inputs=dict(visual=torch.zeros(2, 3, 32, 32)), data_samples=[])
    with pytest.raises(KeyError, match="teacher input 'audio'"):
        model(**data, mode='loss')


def test_width_mismatch_without_projection_is_a_clear_error(cls_distiller_cfg, cls_batch,
                                                            model_factory):
    base = model_factory.base
    cfg = copy.deepcopy(cls_distiller_cfg)
    cfg['teacher']['backbone']['base_channels'] = base * 2
    cfg['teacher']['head']['in_channels'] = base * 16
    model = MODELS.build(cfg)
    with pytest.raises(ValueError, match=r"teacher 'backbone.layer4.1.relu' gives 128.*"
                                         r'ProjectionConnector'):
        model(**model.data_preprocessor(cls_batch, True), mode='loss')
    cfg['student_connector'] = dict(type='ProjectionConnector', in_channels=64,
                                    out_channels=128)
    cfg['in_channels'] = 128
    model = MODELS.build(cfg)
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    assert FULL_KEYS <= set(losses)
