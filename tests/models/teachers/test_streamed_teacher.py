"""The streamed teacher: its own batch each step through its own preprocessor, one batch per
step, the single-teacher keyword, and the refusals (short batches, NaN, widths, no stream)."""
import pytest
import torch
from mmpretrain.structures import DataSample
from torch.utils.data import Dataset

from fdkd_mm.datasets.teacher_stream import TeacherStream
from fdkd_mm.errors import ConfigError, DataError
from fdkd_mm.models.teachers import StreamedTeacher, shorthand_teachers
from fdkd_mm.registry import MODELS

RECORDERS = dict(feat=dict(path='backbone.layer4', pool='avg'),
                 head_weight=dict(path='head.fc.weight', source='parameter'))


class Spectrograms(Dataset):
    """Sample i: a (1, 16, 16) input of its own, label i % 6, ``sample_idx`` i."""

    def __init__(self, size: int, nan_at: int = -1) -> None:
        generator = torch.Generator().manual_seed(0)
        self.inputs = torch.randn(size, 1, 16, 16, generator=generator)
        if nan_at >= 0:
            self.inputs[nan_at, 0, 3, 3] = float('nan')

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> dict:
        sample = DataSample(metainfo=dict(sample_idx=index)).set_gt_label(index % 6)
        return dict(inputs=self.inputs[index], data_samples=sample)


def stream(dataset, batch_size=3, drop_last=True) -> TeacherStream:
    return TeacherStream(dict(dataset=dataset, batch_size=batch_size, drop_last=drop_last,
                              num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True)),
                         seed=0)


@pytest.fixture
def teacher(model_factory) -> StreamedTeacher:
    return StreamedTeacher(model_factory.classifier(1), 'audio', RECORDERS)


def test_it_runs_the_frozen_network_on_a_batch_of_its_own_data(teacher):
    dataset = Spectrograms(6)
    teacher.attach(stream(dataset))
    teacher.network.train()
    teacher.train(True)
    student_samples = [DataSample() for _ in range(5)]  # the student's batch is not read
    assert teacher.forward_batch({}, student_samples, 'cpu') == {}
    feat = teacher.recorded('feat', 5)
    indices = teacher.last_indices
    assert len(indices) == 3 and len(set(indices)) == 3
    network = teacher.network
    assert not network.training and not feat.requires_grad
    with torch.no_grad():  # by hand: the samples' inputs through the backbone, averaged
        expected = network.backbone(dataset.inputs[indices])[-1].mean(dim=(2, 3))
    torch.testing.assert_close(feat, expected)
    torch.testing.assert_close(teacher.recorded('head_weight', 5), network.head.fc.weight)
    assert teacher.preprocessors() == {}  # the student's batch carries no teacher modality


def test_the_forwards_of_one_step_share_one_teacher_batch(teacher):
    teacher.attach(stream(Spectrograms(9)))
    step = [DataSample()]
    teacher.forward_batch({}, step, 'cpu')
    first, first_feat = teacher.last_indices, teacher.recorded('feat', 1)
    teacher.forward_batch({}, step, 'cpu')  # e.g. the bilevel step's second forward
    assert teacher.stream.position == 1 and teacher.recorded('feat', 1) is first_feat
    teacher.forward_batch({}, [DataSample()], 'cpu')  # the next step
    assert teacher.stream.position == 2 and set(teacher.last_indices).isdisjoint(first)


def test_bad_teacher_batches_are_refused_naming_what_is_wrong(teacher):
    with pytest.raises(RuntimeError, match=r"teacher \(StreamedTeacher\) has no data stream: "
                                           r"add dict\(type='fdkd_mm.TeacherStreamHook'\)"):
        teacher.forward_batch({}, [DataSample()], 'cpu')
    teacher.attach(stream(Spectrograms(4), drop_last=False))  # batches of 3, then 1
    teacher.forward_batch({}, [DataSample()], 'cpu')
    with pytest.raises(DataError, match=r'a teacher batch of 1 sample\(s\) from '
                                        r'teacher_dataloader \(batch_size 3\).*drop_last=True'):
        teacher.forward_batch({}, [DataSample()], 'cpu')
    teacher.attach(stream(Spectrograms(3, nan_at=1)))
    with pytest.raises(DataError, match=r"teacher recorder 'feat' \(path 'backbone.layer4', "
                                        r"pool 'avg'\) of shape \(3, 64\) holds NaN or Inf in "
                                        r"rows \[\d\] of the teacher batch \(sample_idx \[1\]"):
        teacher.forward_batch({}, [DataSample()], 'cpu')


def test_a_teacher_feature_of_another_width_is_refused_by_the_loss(teacher):
    loss = MODELS.build(dict(type='UnpairedCMKDLoss', num_classes=6, in_channels=32,
                             teacher_source='batch', terms=dict(la=False)))
    teacher.attach(stream(Spectrograms(6)))
    teacher.forward_batch({}, [DataSample()], 'cpu')
    with pytest.raises(ValueError, match=r'teacher_feat is \(3, 64\); it needs pooled features '
                                         r'\(N, 32\)'):
        loss(torch.zeros(2, dtype=torch.long), torch.randn(2, 32),
             teacher_feat=teacher.recorded('feat', 2))


def test_the_teacher_stream_keyword_means_a_streamed_teacher():
    network = dict(type='mmpretrain.ImageClassifier')
    keywords = dict(teacher=network, teacher_input='audio', teacher_recorders=RECORDERS)
    streamed = shorthand_teachers(dict(keywords, teacher_stream=True))['teacher']
    assert streamed['type'] == 'fdkd_mm.StreamedTeacher' and streamed['dataloader'] is None
    own = shorthand_teachers(dict(keywords, teacher_stream=dict(batch_size=8)))['teacher']
    assert own['dataloader'] == dict(batch_size=8)
    assert shorthand_teachers(dict(keywords, teacher_stream=False))['teacher']['type'] == (
        'fdkd_mm.FrozenTeacher')
    with pytest.raises(ConfigError, match='a streamed teacher is frozen'):
        shorthand_teachers(dict(keywords, teacher_stream=True, teacher_trainable=True))
    with pytest.raises(ConfigError, match='teacher_cache and model.teacher_stream are both set'):
        shorthand_teachers(dict(keywords, teacher_stream=True, teacher_cache=dict(path='c')))
    with pytest.raises(ConfigError, match='must be True .* a dataloader config'):
        shorthand_teachers(dict(keywords, teacher_stream='teacher_dataloader'))
    with pytest.raises(ValueError, match=r"teacher=None .* \['teacher_stream'\] are set"):
        shorthand_teachers(dict(teacher=None, teacher_stream=True))
