"""The teacher pass: a tiny linear network recorded over an ordered loader, checked against
its outputs computed by hand."""
import pytest
import torch
from mmengine.model import BaseDataPreprocessor, BaseModel
from mmengine.structures import BaseDataElement
from torch import nn
from torch.utils.data import Dataset

from fdkd_mm.checkpoint.metadata import MODEL_RECORD_KEY, TeacherCheckpointError
from fdkd_mm.checkpoint.strict_loading import CheckpointMismatchError
from fdkd_mm.recording.teacher_pass import TeacherCheck, build_network, ordered_loader, record
from fdkd_mm.registry import MODELS

RECORDERS = dict(rows=dict(path='fc'), pooled=dict(path='fc', pool='avg'),
                 weight=dict(path='fc.weight', source='parameter'))


class StackRows(BaseDataPreprocessor):
    """Stacks the samples' inputs; remembers each call's mode, size and labels."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = []

    def forward(self, data: dict, training: bool = False) -> dict:
        samples = data['data_samples']
        self.calls.append(dict(training=training, size=len(samples),
                               labelled=['gt_label' in sample for sample in samples]))
        return dict(inputs=torch.stack(data['inputs']), data_samples=samples)


@MODELS.register_module(name='RecordingTestNet', force=True)
class LinearRows(BaseModel):
    """``fc(x)`` on every row of each sample's (4, 3) input."""

    def __init__(self, out_features: int = 2) -> None:
        super().__init__(data_preprocessor=StackRows())
        self.fc = nn.Linear(3, out_features)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.fc(inputs)


class Rows(Dataset):
    """Sample i: a (4, 3) input (as it is, or packed as a dict with its negative) and label i."""

    def __init__(self, size: int, packed: bool = False) -> None:
        self.inputs = torch.arange(size * 12, dtype=torch.float32).reshape(size, 4, 3) / 10
        self.packed = packed

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> dict:
        x = self.inputs[index]
        return dict(inputs=dict(a=x, b=-x) if self.packed else x,
                    data_samples=BaseDataElement(metainfo=dict(sample_idx=index),
                                                 gt_label=torch.tensor(index)))


@pytest.fixture
def network(tmp_path):
    torch.manual_seed(0)
    net = LinearRows()
    path = tmp_path / 'net.pth'
    torch.save(dict(state_dict=net.state_dict()), path)
    return build_network(dict(type='RecordingTestNet'), str(path)), net.fc


def loader_of(dataset, batch_size=2):
    # A shuffling sampler and drop_last in the config are overridden: the pass reads all.
    return ordered_loader(dict(dataset=dataset, batch_size=batch_size, num_workers=0,
                               sampler=dict(type='DefaultSampler', shuffle=True),
                               drop_last=True))


def test_every_sample_once_in_order_with_its_tensors_pooled_as_asked(network):
    net, fc = network
    dataset = Rows(5)
    batches = list(record(net, RECORDERS, loader_of(dataset), pad_last=True))
    assert [b.indices for b in batches] == [[0, 1], [2, 3], [4]]
    assert [[s.metainfo['sample_idx'] for s in b.data_samples] for b in batches] == \
        [[0, 1], [2, 3], [4]]
    # Every forward had the batch size, the last one padded with sample 4.
    assert [call['size'] for call in net.data_preprocessor.calls] == [2, 2, 2]
    expected = dataset.inputs @ fc.weight.detach().T + fc.bias.detach()  # (5, 4, 2)
    rows = torch.cat([b.tensors['rows'] for b in batches])
    torch.testing.assert_close(rows, expected, rtol=0, atol=1e-6)
    pooled = torch.cat([b.tensors['pooled'] for b in batches])
    torch.testing.assert_close(pooled, expected.mean(-1), rtol=0, atol=1e-6)
    assert all(torch.equal(b.parameters['weight'], fc.weight) for b in batches)
    assert not any(t.requires_grad for b in batches for t in b.tensors.values())


def test_without_padding_the_last_batch_is_short(network):
    net, _ = network
    batches = list(record(net, dict(rows=dict(path='fc')), loader_of(Rows(5)), pad_last=False))
    assert [len(b.tensors['rows']) for b in batches] == [2, 2, 1]
    assert [call['size'] for call in net.data_preprocessor.calls] == [2, 2, 1]


@pytest.mark.parametrize('training_step', [False, True])
def test_a_training_step_feeds_the_samples_without_labels(network, training_step):
    net, _ = network
    list(record(net, dict(rows=dict(path='fc')), loader_of(Rows(2)),
                training_step=training_step))
    (call, ) = net.data_preprocessor.calls
    assert call['training'] == training_step
    assert call['labelled'] == [not training_step] * 2


def test_the_input_key_picks_a_modality_of_a_packed_dict(network):
    net, fc = network
    dataset = Rows(3, packed=True)
    (batch, ) = record(net, dict(rows=dict(path='fc')), loader_of(dataset, 3), input_key='b')
    expected = -dataset.inputs @ fc.weight.detach().T + fc.bias.detach()
    torch.testing.assert_close(batch.tensors['rows'], expected, rtol=0, atol=1e-6)
    with pytest.raises(KeyError, match=r"modalities \['a', 'b'\], not the teacher input 'c'"):
        next(record(net, dict(rows=dict(path='fc')), loader_of(dataset), input_key='c'))


def test_the_network_is_frozen_with_the_checkpoint_weights(network):
    net, fc = network
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    assert torch.equal(net.fc.weight, fc.weight) and torch.equal(net.fc.bias, fc.bias)


def test_a_checkpoint_that_does_not_fit_is_refused_naming_the_file(tmp_path):
    path = tmp_path / 'wide.pth'
    torch.save(dict(state_dict=LinearRows(out_features=5).state_dict()), path)
    with pytest.raises(CheckpointMismatchError, match=rf'checkpoint {path} does not fit .*\n'
                                                      r'(.*\n)*.*mis-shaped keys.*fc.weight'):
        build_network(dict(type='RecordingTestNet'), str(path))
    with pytest.raises(CheckpointMismatchError, match=str(path)):
        build_network(dict(type='RecordingTestNet'), str(path), teacher=TeacherCheck('audio'))


def test_a_teacher_checkpoint_of_another_modality_is_refused(tmp_path):
    path = tmp_path / 'visual.pth'
    record_ = dict(kind='unimodal', type='RecordingTestNet', modality='visual', arch=None)
    torch.save(dict(state_dict=LinearRows().state_dict(), meta={MODEL_RECORD_KEY: record_}),
               path)
    build_network(dict(type='RecordingTestNet'), str(path))  # a whole-model checkpoint: fits
    with pytest.raises(TeacherCheckpointError, match=r"trained on 'visual', but the teacher "
                                                     r"reads 'audio'.*model.allow_x=True"):
        build_network(dict(type='RecordingTestNet'), str(path),
                      teacher=TeacherCheck('audio', override_hint='model.allow_x=True'))
