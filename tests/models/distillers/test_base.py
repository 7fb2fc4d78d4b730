"""The distiller's two-model plumbing: frozen teacher, inputs per modality, teacher checkpoint."""
import copy

import pytest
import torch

from fdkd_mm.registry import MODELS


def teacher_feature(model, inputs: dict) -> torch.Tensor:
    """The teacher's recorded (pooled) 'feat' of one forward on ``inputs``."""
    model.teachers['teacher'].run(inputs)
    batch = next(iter(inputs.values())).shape[0]
    return model.recorded('teacher', 'feat', batch)


def test_teacher_stays_in_eval_after_train_and_is_deterministic(seg_distiller_cfg, seg_batch):
    model = MODELS.build(seg_distiller_cfg)
    model.train()
    assert not model.teacher.training
    data = model.data_preprocessor(seg_batch, True)
    # Dropout in the decode head would make two teacher passes differ if it were on.
    first = teacher_feature(model, data['inputs']).clone()
    second = teacher_feature(model, data['inputs'])
    assert torch.equal(first, second)
    assert not first.requires_grad


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
    cfg = copy.deepcopy(cls_distiller_cfg)
    cfg['student_recorders']['feat']['path'] = 'backbone.layer4.1.rleu'
    with pytest.raises(ValueError, match=r"student recorder 'feat': recorder path "
                                         r"'backbone.layer4.1.rleu'.*'backbone.layer4.1.relu'"):
        MODELS.build(cfg)


def test_missing_modality_names_the_key(cls_distiller_cfg, cls_batch):
    model = MODELS.build(cls_distiller_cfg)
    del cls_batch['inputs']['audio']
    with pytest.raises(KeyError, match="lacks modalities \\['audio'\\]"):
        model.data_preprocessor(cls_batch, True)
    data = dict(inputs=dict(visual=torch.zeros(2, 3, 32, 32)), data_samples=[])
    with pytest.raises(KeyError, match="teacher input 'audio'"):
        model(**data, mode='loss')


@pytest.mark.parametrize('pool', ['max', 'mean'])
def test_unknown_pool_names_the_recorder(pool, cls_distiller_cfg):
    cfg = copy.deepcopy(cls_distiller_cfg)
    cfg['teacher_recorders']['feat']['pool'] = pool
    with pytest.raises(ValueError, match=rf"teacher recorder 'feat': pool must be one of .*"
                                         rf"got '{pool}'"):
        MODELS.build(cfg)


@MODELS.register_module(name='StudentOnlyTestLoss', force=True)
class StudentOnlyTestLoss(torch.nn.Module):
    """A loss that needs no teacher tensor: the mean squared student logits."""

    def forward(self, student_logits, target):
        return (student_logits ** 2).mean()


def test_a_teacher_free_distiller_builds_no_teacher_and_trains(cls_distiller_cfg, cls_batch):
    cfg = dict(cls_distiller_cfg, teacher=None, teacher_input=None, teacher_recorders=None,
               student_recorders=dict(logits=dict(path='head.fc')),
               distill_losses=dict(loss_logit=dict(type='StudentOnlyTestLoss')),
               loss_forward_mappings=dict(loss_logit=dict(
                   student_logits=dict(from_student=True, recorder='logits'),
                   target=dict(labels=True))))
    model = MODELS.build(cfg)
    assert model.teacher is None and len(model.teacher_recorders) == 0
    del cls_batch['inputs']['audio']  # the batch holds the student's modality only
    model.train()
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    logits = model.student_recorders.feature('logits')
    torch.testing.assert_close(losses['distill.loss_logit'], (logits ** 2).mean())
    assert not any(k.startswith('teacher.') for k in losses)


def test_teacher_free_refuses_teacher_settings(cls_distiller_cfg):
    cfg = dict(cls_distiller_cfg, teacher=None, teacher_recorders=None)
    with pytest.raises(ValueError, match=r"teacher=None \(no teacher network\) but "
                                         r"\['teacher_input'\] are set"):
        MODELS.build(cfg)


def test_checkpoints_keep_the_single_teacher_layout(cls_distiller_cfg):
    """The state dict (and parameter order) of a single-teacher distiller is the one its
    checkpoints always had: student.*, teacher.*, then connectors and losses; so earlier
    checkpoints and resumed optimizer states load."""
    model = MODELS.build(cls_distiller_cfg)
    parts = dict(student=MODELS.build(cls_distiller_cfg['student']),
                 teacher=MODELS.build(cls_distiller_cfg['teacher']),
                 losses=torch.nn.ModuleDict(dict(loss_fd=MODELS.build(
                     cls_distiller_cfg['distill_losses']['loss_fd']))))
    layout = [f'{part}.{key}' for part, module in parts.items() for key in module.state_dict()]
    assert list(model.state_dict()) == layout
    assert [n for n, _ in model.named_parameters()] == [
        f'{part}.{name}' for part, module in parts.items() for name, _ in module.named_parameters()]
    # A checkpoint in that layout loads strictly, every tensor as saved.
    saved = {key: torch.full_like(value, 0.5) if value.is_floating_point() else value
             for key, value in model.state_dict().items()}
    other = MODELS.build(cls_distiller_cfg)
    other.load_state_dict(saved, strict=True)
    assert all(torch.equal(value, saved[key]) for key, value in other.state_dict().items())
