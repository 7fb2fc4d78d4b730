"""TeacherStreamHook: which dataloader and seed each streamed teacher gets, its position in
checkpoints and back on resume, and the configs it refuses."""
import logging
from types import SimpleNamespace

import pytest
from mmengine.config import Config
from torch import nn
from torch.utils.data import Dataset

from fdkd_mm.engine.hooks import TeacherStreamHook
from fdkd_mm.errors import ConfigError
from fdkd_mm.models.teachers import FrozenTeacher, StreamedTeacher

LOGITS = dict(logits=dict(path='head.fc'))


class Numbers(Dataset):
    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> int:
        return index


def loader(size: int) -> dict:
    return dict(dataset=Numbers(size), batch_size=2, num_workers=0, drop_last=True,
                collate_fn=dict(type='default_collate'))


def runner(teachers: dict, seed=10, resume=False, **cfg) -> SimpleNamespace:
    model = nn.Module()
    model.teachers = teachers
    return SimpleNamespace(model=model, cfg=Config(cfg), seed=seed, _resume=resume,
                           logger=logging.getLogger('teacher_stream_hook_test'))


@pytest.fixture
def make_teacher(model_factory):
    def make(name='teacher', dataloader=None):
        return StreamedTeacher(model_factory.classifier(1), 'audio', LOGITS, name=name,
                               dataloader=dataloader)
    return make


def test_each_streamed_teacher_gets_its_loader_and_its_own_seed(make_teacher, model_factory):
    first, second = make_teacher('a'), make_teacher('b', dataloader=loader(9))
    frozen = FrozenTeacher(model_factory.classifier(1), 'visual', LOGITS, name='c')
    run = runner(dict(a=first, b=second, c=frozen), teacher_dataloader=loader(5))
    hook = TeacherStreamHook()
    hook.before_train(run)
    assert len(first.stream.loader.dataset) == 5 and first.stream.where == 'teacher_dataloader'
    assert len(second.stream.loader.dataset) == 9
    assert second.stream.where == 'model.teachers.b.dataloader'
    assert (first.stream.seed, second.stream.seed) == (11, 12)  # the run's + 1, + 2
    for _ in range(3):
        first.stream.next()
    checkpoint = {}
    hook.before_save_checkpoint(run, checkpoint)
    assert checkpoint['teacher_streams']['a'] == dict(epoch=1, position=1, seed=11,
                                                      num_samples=5, batch_size=2, world_size=1)
    assert checkpoint['teacher_streams']['b']['position'] == 0
    # A resumed run (another default seed) continues the saved streams.
    later_first, later_second = make_teacher('a'), make_teacher('b', dataloader=loader(9))
    later = runner(dict(a=later_first, b=later_second), seed=99, resume=True,
                   teacher_dataloader=loader(5))
    hook = TeacherStreamHook()
    hook.after_load_checkpoint(later, checkpoint)
    hook.before_train(later)
    assert later_first.stream.state_dict() == checkpoint['teacher_streams']['a']
    assert later_first.stream.next().tolist() == first.stream.next().tolist()


def test_loading_weights_without_resuming_starts_the_streams_afresh(make_teacher):
    teacher = make_teacher()
    run = runner(dict(teacher=teacher), resume=False, teacher_dataloader=loader(5))
    hook = TeacherStreamHook()
    hook.after_load_checkpoint(run, {'teacher_streams': {'teacher': dict(
        epoch=3, position=1, seed=1, num_samples=5, batch_size=2, world_size=1)}})
    hook.before_train(run)
    assert (teacher.stream.epoch, teacher.stream.position, teacher.stream.seed) == (0, 0, 11)


def test_the_hook_refuses_streams_it_cannot_build(make_teacher):
    with pytest.raises(ConfigError, match="teacher is a StreamedTeacher but the config has no "
                                          "teacher_dataloader"):
        TeacherStreamHook().before_train(runner(dict(teacher=make_teacher())))
    two = dict(a=make_teacher('a'), b=make_teacher('b'))
    with pytest.raises(ConfigError, match=r"streamed teachers \['a', 'b'\] have no dataloader of "
                                          r"their own"):
        TeacherStreamHook().before_train(runner(two, teacher_dataloader=loader(5)))
