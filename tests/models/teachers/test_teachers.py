"""The teachers on their own: inputs, recording, train/eval rule, the single-teacher keywords."""
import pytest
import torch

from fdkd_mm.models.teachers import (FrozenTeacher, TrainableTeacher, select_inputs,
                                     shorthand_teachers)
from fdkd_mm.registry import MODELS

LOGITS = dict(logits=dict(path='head.fc'))


@pytest.fixture
def audio_net(model_factory):
    return MODELS.build(model_factory.classifier(1))


def test_a_frozen_teacher_keeps_its_module_frozen_in_eval(audio_net, cls_batch):
    teacher = FrozenTeacher(audio_net, 'audio', LOGITS)
    assert teacher.network is audio_net  # a ready module is used as it is
    audio_net.train()  # e.g. the distiller's train(): the teacher puts it back
    teacher.train(True)
    assert not any(m.training for m in audio_net.modules())
    assert not any(p.requires_grad for p in audio_net.parameters())
    audio = torch.stack(cls_batch['inputs']['audio'])
    assert teacher.forward_batch(dict(audio=audio), cls_batch['data_samples'], 'cpu') == {}
    logits = teacher.recorded('logits', 4)
    torch.testing.assert_close(logits, audio_net(audio, mode='tensor'))
    assert not logits.requires_grad
    assert teacher.describe('logits') == "teacher recorder 'logits' (path 'head.fc')"
    assert teacher.width('logits') == 6  # the head's declared out_features


def test_a_trainable_teacher_follows_and_returns_its_task_losses(audio_net, cls_batch):
    teacher = TrainableTeacher(audio_net, 'audio', LOGITS, name='audio')
    audio_net.train()
    teacher.train(True)
    assert audio_net.training
    audio = torch.stack(cls_batch['inputs']['audio'])
    losses = teacher.forward_batch(dict(audio=audio), cls_batch['data_samples'], 'cpu')
    assert set(losses) == {'loss'} and losses['loss'].requires_grad
    assert teacher.recorded('logits', 4).requires_grad


def test_inputs_are_one_tensor_or_a_dict_of_modalities():
    a, v = torch.zeros(1), torch.ones(1)
    assert select_inputs(dict(audio=a, visual=v), ('audio', ), 'teacher') is a
    assert select_inputs(dict(audio=a, visual=v), ('visual', 'audio'), 'x') == dict(visual=v,
                                                                                  audio=a)
    with pytest.raises(KeyError, match=r"the teacher 'av' input 'depth' is not in the batch; "
                                       r"modalities present: \['audio'\]"):
        select_inputs(dict(audio=a), ('depth', ), "teacher 'av'")
    with pytest.raises(ValueError, match=r"model.teachers.av.inputs must be a modality key or "
                                         r"a list of distinct keys"):
        FrozenTeacher(torch.nn.Linear(1, 1), ['audio', 'audio'], LOGITS, name='av')


def test_the_single_teacher_keywords_mean_one_teacher_named_teacher():
    network = dict(type='mmpretrain.ImageClassifier')
    frozen = shorthand_teachers(dict(teacher=network, teacher_input='audio',
                                     teacher_recorders=LOGITS, teacher_autocast='bf16'))
    assert frozen == dict(teacher=dict(type='fdkd_mm.FrozenTeacher', network=network,
                                       inputs='audio', recorders=LOGITS, ckpt=None,
                                       autocast='bf16', allow_mismatch=False))
    trainable = shorthand_teachers(dict(teacher=network, teacher_input='audio',
                                        teacher_recorders=LOGITS, teacher_trainable=True))
    assert trainable['teacher']['type'] == 'fdkd_mm.TrainableTeacher'
    cached = shorthand_teachers(dict(teacher=network, teacher_input='audio',
                                     teacher_recorders=LOGITS, teacher_cache=dict(path='c')))
    assert cached['teacher']['type'] == 'fdkd_mm.CachedTeacher'
    assert shorthand_teachers(dict(teacher=None, teacher_input=None, teacher_recorders=None)
                              ) == {}
    with pytest.raises(ValueError, match=r"teacher=None \(no teacher network\) but "
                                         r"\['teacher_ckpt'\] are set"):
        shorthand_teachers(dict(teacher=None, teacher_ckpt='t.pth'))
