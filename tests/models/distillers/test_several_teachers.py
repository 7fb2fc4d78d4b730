"""Several named teachers in one distiller, and a fusion teacher reading two modalities.

No shipped config uses either yet; these pin what the ``teachers`` mapping promises: each
teacher's terms logged under its name, its network stored under its name, a teacher fed the
dict of its modalities, and the frozen ones unchanged by training.
"""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from fdkd_mm.registry import MODELS

TEMPERATURE = 4.0


def kd_by_hand(student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
    """Hinton KD written out: τ² · mean_n Σ_c p_t (log p_t − log p_s) at temperature τ."""
    log_p_s = F.log_softmax(student_logits / TEMPERATURE, dim=1)
    log_p_t = F.log_softmax(teacher_logits / TEMPERATURE, dim=1)
    return TEMPERATURE ** 2 * (log_p_t.exp() * (log_p_t - log_p_s)).sum(1).mean()


def frozen(network: dict, inputs, logits: str = 'head.fc') -> dict:
    return dict(type='FrozenTeacher', network=network, inputs=inputs,
                recorders=dict(logits=dict(path=logits)))


def kd_mapping(teacher: str) -> dict:
    return dict(student_logits=dict(from_student=True, recorder='logits'),
                teacher_logits=dict(teacher=teacher, recorder='logits'))


@pytest.fixture
def two_teacher_cfg(model_factory) -> dict:
    """A visual student; KD from an audio teacher and from a visual teacher."""
    return dict(
        type='CrossModalDistiller',
        student=model_factory.classifier(3, mean=[127.5] * 3, std=[64.0] * 3),
        teachers=dict(audio=frozen(model_factory.classifier(1), 'audio'),
                      visual=frozen(model_factory.classifier(3, mean=[127.5] * 3,
                                                             std=[64.0] * 3), 'visual')),
        student_input='visual', student_recorders=dict(logits=dict(path='head.fc')),
        distill_losses=dict(loss_kd_audio=dict(type='KDLoss', temperature=TEMPERATURE),
                            loss_kd_visual=dict(type='KDLoss', temperature=TEMPERATURE)),
        loss_forward_mappings=dict(loss_kd_audio=kd_mapping('audio'),
                                   loss_kd_visual=kd_mapping('visual')))


def test_two_teachers_each_term_under_its_teachers_name(two_teacher_cfg, cls_batch):
    model = MODELS.build(two_teacher_cfg).train()
    data = model.data_preprocessor(cls_batch, True)
    losses = model(**data, mode='loss')
    assert {k for k in losses if not k.startswith('student.')} == {
        'distill.audio.loss_kd_audio', 'distill.visual.loss_kd_visual'}
    student_logits = model.student_recorders.feature('logits')
    with torch.no_grad():  # each teacher's logits, computed here from its own network
        audio = model.audio(data['inputs']['audio'], mode='tensor')
        visual = model.visual(data['inputs']['visual'], mode='tensor')
    torch.testing.assert_close(losses['distill.audio.loss_kd_audio'],
                               kd_by_hand(student_logits, audio))
    torch.testing.assert_close(losses['distill.visual.loss_kd_visual'],
                               kd_by_hand(student_logits, visual))
    assert not torch.allclose(audio, visual)  # two different targets, not one twice


def test_teachers_networks_are_stored_under_their_names_in_order(two_teacher_cfg):
    model = MODELS.build(two_teacher_cfg)
    owners = []
    for name, _ in model.named_parameters():
        if name.split('.')[0] not in owners:
            owners.append(name.split('.')[0])
    assert owners == ['student', 'audio', 'visual']  # the KD losses hold no parameters
    assert {k.split('.')[0] for k in model.state_dict()} == {'student', 'audio', 'visual'}
    assert model.teacher is None and model.teacher_input is None  # no shorthand teacher


def test_several_teachers_must_be_named_in_mappings(two_teacher_cfg):
    cfg = copy.deepcopy(two_teacher_cfg)
    cfg['loss_forward_mappings']['loss_kd_audio']['teacher_logits'] = dict(
        from_student=False, recorder='logits')
    with pytest.raises(ValueError, match=r"several teachers \['audio', 'visual'\]; name the one "
                                         r"to read with teacher="):
        MODELS.build(cfg)
    cfg['loss_forward_mappings']['loss_kd_audio']['teacher_logits'] = dict(
        teacher='audoi', recorder='logits')
    with pytest.raises(ValueError, match=r"no teacher named 'audoi' \(did you mean 'audio'\?\)"):
        MODELS.build(cfg)


def test_a_trainable_teachers_task_losses_carry_its_name(two_teacher_cfg, cls_batch):
    cfg = copy.deepcopy(two_teacher_cfg)
    cfg['teachers']['visual']['type'] = 'TrainableTeacher'
    model = MODELS.build(cfg).train()
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    assert {k for k in losses if k.startswith('teacher.')} == {'teacher.visual.loss'}
    assert model.visual.training and not model.audio.training
    assert all(p.requires_grad for p in model.visual.parameters())
    assert not any(p.requires_grad for p in model.audio.parameters())


@pytest.mark.parametrize('name', ['student', 'losses', 'teacher_input', 'not a name'])
def test_a_teacher_name_must_be_free(two_teacher_cfg, name):
    cfg = copy.deepcopy(two_teacher_cfg)
    cfg['teachers'][name] = cfg['teachers'].pop('visual')
    cfg['loss_forward_mappings']['loss_kd_visual'] = kd_mapping(name)
    with pytest.raises(ValueError, match=rf"teacher name '{name}' is not free"):
        MODELS.build(cfg)


def test_both_teacher_forms_are_refused(two_teacher_cfg, model_factory):
    with pytest.raises(ValueError, match=r"model.teachers and the single-teacher keywords "
                                         r"\['teacher', 'teacher_input'\] are both given"):
        MODELS.build(dict(two_teacher_cfg, teacher=model_factory.classifier(1),
                          teacher_input='audio'))


def test_an_unknown_single_teacher_keyword_is_named(cls_distiller_cfg):
    with pytest.raises(TypeError, match=r"unexpected keyword\(s\) \['teacher_ckp'\]"):
        MODELS.build(dict(cls_distiller_cfg, teacher_ckp='x.pth'))


# ------------------------------------------------------------------------ fusion teacher
@MODELS.register_module(name='FusionTestNet', force=True)
class FusionTestNet(BaseModel):
    """A tiny classifier of (audio, visual) pairs: one pooled conv feature per modality,
    concatenated, then a linear head. Its forward takes the dict of both modalities."""

    def __init__(self, num_classes: int, data_preprocessor: dict) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.audio_conv = nn.Conv2d(1, 4, 3)
        self.visual_conv = nn.Conv2d(3, 4, 3)
        self.dropout = nn.Dropout(0.5)  # changes the outputs unless the teacher stays in eval
        self.head = nn.Linear(8, num_classes)
        self.seen_inputs = None

    def forward(self, inputs: dict, data_samples=None, mode: str = 'tensor'):
        self.seen_inputs = sorted(inputs)
        audio = self.audio_conv(inputs['audio']).mean((2, 3))
        visual = self.visual_conv(inputs['visual']).mean((2, 3))
        return self.head(self.dropout(torch.cat([audio, visual], dim=1)))


def test_a_fusion_teacher_reads_both_modalities_and_stays_frozen(model_factory, cls_batch):
    fusion = dict(type='FusionTestNet', num_classes=6, data_preprocessor=dict(
        type='fdkd_mm.MultiModalDataPreprocessor', preprocessors=dict(
            audio=dict(type='mmpretrain.ClsDataPreprocessor'),
            visual=dict(type='mmpretrain.ClsDataPreprocessor', mean=[127.5] * 3,
                        std=[64.0] * 3, to_rgb=False))))
    cfg = dict(
        type='CrossModalDistiller',
        student=model_factory.classifier(3, mean=[127.5] * 3, std=[64.0] * 3),
        teachers=dict(fusion=frozen(fusion, ['audio', 'visual'], logits='head')),
        student_input='visual', student_recorders=dict(logits=dict(path='head.fc')),
        distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=TEMPERATURE)),
        loss_forward_mappings=dict(loss_kd=dict(
            student_logits=dict(from_student=True, recorder='logits'),
            teacher_logits=dict(from_student=False, recorder='logits'))))
    model = MODELS.build(cfg)
    assert set(model.data_preprocessor.preprocessors) == {'audio', 'visual'}
    before = {k: v.clone() for k, v in model.fusion.state_dict().items()}
    optim = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.1))
    model.train()
    log = model.train_step(copy.deepcopy(cls_batch), optim)
    assert model.fusion.seen_inputs == ['audio', 'visual']
    assert set(log) >= {'distill.loss_kd', 'student.loss'}  # one teacher: plain keys
    assert not model.fusion.training and not model.fusion.dropout.training
    assert all(torch.equal(v, before[k]) for k, v in model.fusion.state_dict().items())
    assert not any(p.requires_grad for p in model.fusion.parameters())
    # The logged term is KD on the fusion network's own output for the batch.
    data = model.data_preprocessor(copy.deepcopy(cls_batch), True)
    losses = model(**data, mode='loss')
    with torch.no_grad():
        fused = model.fusion(data['inputs'])
    torch.testing.assert_close(losses['distill.loss_kd'],
                               kd_by_hand(model.student_recorders.feature('logits'), fused))


def test_a_fusion_network_without_its_modalities_preprocessors_is_refused(model_factory):
    fusion = dict(type='FusionTestNet', num_classes=6,
                  data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'))
    with pytest.raises(ValueError, match=r"teacher 'fusion' reads \['audio', 'visual'\], but "
                                         r"its network's data preprocessor"):
        MODELS.build(dict(
            type='CrossModalDistiller', student=model_factory.classifier(3),
            teachers=dict(fusion=frozen(fusion, ['audio', 'visual'], logits='head')),
            student_input='visual',
            student_recorders=dict(logits=dict(path='head.fc')),
            distill_losses=dict(loss_kd=dict(type='KDLoss')),
            loss_forward_mappings=dict(loss_kd=dict(
                student_logits=dict(from_student=True, recorder='logits'),
                teacher_logits=dict(from_student=False, recorder='logits')))))
