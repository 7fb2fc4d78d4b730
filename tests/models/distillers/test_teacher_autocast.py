"""``teacher_autocast``: the frozen teacher's forward in bf16, its recorded tensors in float32."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper

from fdkd_mm.models.recorders import FeatureRecorder
from fdkd_mm.registry import MODELS


def output_dtypes(module: torch.nn.Module) -> list:
    """Record the dtype of every output of ``module`` (a forward hook, returned with the list)."""
    seen = []
    handle = module.register_forward_hook(lambda _m, _a, out: seen.append(out.dtype))
    return seen, handle


def test_teacher_runs_in_bf16_and_its_feature_comes_back_float32(seg_distiller_cfg, seg_batch):
    plain = MODELS.build(seg_distiller_cfg)
    amp = MODELS.build(dict(seg_distiller_cfg, teacher_autocast='bf16'))
    amp.load_state_dict(plain.state_dict())
    teacher_dtypes, t_handle = output_dtypes(amp.teacher.backbone.layer1[0].conv1)
    student_dtypes, s_handle = output_dtypes(amp.student.backbone.layer1[0].conv1)

    data = amp.data_preprocessor(copy.deepcopy(seg_batch), True)
    losses = amp(**data, mode='loss')
    t_handle.remove()
    s_handle.remove()
    assert teacher_dtypes == [torch.bfloat16]  # inside the teacher: autocast
    assert student_dtypes == [torch.float32]  # the student is not affected
    feature = amp.teacher_recorders.feature('feat')
    assert feature.dtype == torch.float32
    plain_data = plain.data_preprocessor(copy.deepcopy(seg_batch), True)
    plain.teachers['teacher'].run(plain_data['inputs'])
    reference = plain.teacher_recorders.feature('feat')
    assert not torch.equal(feature, reference)  # it really ran in reduced precision ...
    torch.testing.assert_close(feature, reference, rtol=0.1, atol=0.1)  # ... of the same net
    assert all(torch.isfinite(v) for v in losses.values())


def test_training_step_with_a_bf16_teacher_updates_only_the_student(seg_distiller_cfg,
                                                                    seg_batch):
    model = MODELS.build(dict(seg_distiller_cfg, teacher_autocast='bf16'))
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    optim = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.05))
    model.train()
    log = model.train_step(seg_batch, optim)
    assert all(torch.isfinite(torch.as_tensor(v)) for v in log.values()), log
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key


def test_unknown_precision_is_a_clear_error(seg_distiller_cfg):
    with pytest.raises(ValueError, match=r"model.teacher_autocast='bfloat' is not one of "
                                         r"\[None, 'bf16', 'fp16'\]"):
        MODELS.build(dict(seg_distiller_cfg, teacher_autocast='bfloat'))


def test_a_trainable_teacher_cannot_use_teacher_autocast(cls_distiller_cfg):
    with pytest.raises(ValueError, match='frozen teacher'):
        MODELS.build(dict(cls_distiller_cfg, teacher_autocast='bf16', teacher_trainable=True))


def test_recorder_dtype_casts_floating_tensors_only():
    model = torch.nn.Sequential(torch.nn.Linear(4, 3))
    x = torch.randn(2, 4)
    with torch.autocast('cpu', dtype=torch.bfloat16), \
            FeatureRecorder(model, '0', dtype=torch.float32) as cast, \
            FeatureRecorder(model, '0') as kept:
        model(x)
    assert kept.feature.dtype == torch.bfloat16
    assert cast.feature.dtype == torch.float32
    torch.testing.assert_close(cast.feature, kept.feature.float())
    labels = torch.nn.Identity()
    with FeatureRecorder(labels, '', dtype=torch.float32) as ints:
        labels(torch.arange(3))
    assert ints.feature.dtype == torch.int64
