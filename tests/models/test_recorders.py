"""Recorders: paths, input vs output, call index, in-place safety, hook removal, parameters,
groups."""
import pytest
import torch
from torch import nn

from fdkd_mm.models.recorders import FeatureRecorder, ParameterRecorder, RecorderGroup


class TwiceReLU(nn.Module):
    """Uses one in-place ReLU twice, like mmpretrain's BasicBlock."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.lin(x))
        return self.relu(out - 1.0)


def test_input_of_second_call_is_kept_despite_inplace_relu():
    model = TwiceReLU()
    x = torch.randn(3, 4)
    with FeatureRecorder(model, 'relu', source='input', call_index=1) as recorder:
        out = model(x)
    expected = torch.relu(model.lin(x)) - 1.0
    torch.testing.assert_close(recorder.feature, expected)
    assert (recorder.feature < 0).any()
    torch.testing.assert_close(out, torch.relu(expected))


def test_output_and_hook_removal():
    model = TwiceReLU()
    recorder = FeatureRecorder(model, 'relu', source='output', call_index=1)
    x = torch.randn(2, 4)
    with recorder:
        out = model(x)
    torch.testing.assert_close(recorder.feature, out)
    assert not model.relu._forward_hooks and not model.relu._forward_pre_hooks


def test_output_modified_in_place_later_is_detected_and_clone_fixes_it():
    model = TwiceReLU()
    x = torch.randn(2, 4)
    # lin's output goes through the in-place ReLU right after it is recorded.
    with FeatureRecorder(model, 'lin', source='output') as recorder:
        model(x)
    with pytest.raises(RuntimeError, match='modified in place.*clone=True'):
        recorder.feature
    with FeatureRecorder(model, 'lin', source='output', clone=True) as recorder:
        model(x)
    torch.testing.assert_close(recorder.feature, model.lin(x))


def test_hooks_removed_even_on_error():
    model = TwiceReLU()
    with pytest.raises(RuntimeError):
        with FeatureRecorder(model, 'relu', source='input'):
            raise RuntimeError('boom')
    assert not model.relu._forward_pre_hooks


def test_gradient_flows_through_recorded_input():
    model = TwiceReLU()
    with FeatureRecorder(model, 'relu', source='input', call_index=1) as recorder:
        model(torch.randn(2, 4))
    recorder.feature.sum().backward()
    assert model.lin.weight.grad is not None


def test_unknown_path_lists_close_names():
    with pytest.raises(ValueError, match=r"'rleu'.*'relu'"):
        FeatureRecorder(TwiceReLU(), 'rleu')


def test_call_index_never_reached_is_explained():
    model = TwiceReLU()
    with FeatureRecorder(model, 'lin', call_index=1) as recorder:
        model(torch.randn(1, 4))
    with pytest.raises(RuntimeError, match='ran 1 time'):
        recorder.feature


def test_tuple_output_needs_and_uses_data_index():
    class Pair(nn.Module):
        def forward(self, x):
            return x + 1, x * 2

    wrapper = nn.Sequential(Pair())
    x = torch.ones(2)
    with FeatureRecorder(wrapper, '0', data_index=1) as recorder:
        wrapper(x)
    torch.testing.assert_close(recorder.feature, x * 2)


def test_parameter_recorder_gives_the_live_tensor_and_hooks_nothing():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    recorder = ParameterRecorder(model, '1.weight')
    with recorder:
        model(torch.randn(5, 3))
    assert recorder.feature is model[1].weight
    with torch.no_grad():
        model[1].weight.fill_(2.0)  # a later change (a resumed or trained teacher) is seen
    assert torch.all(recorder.feature == 2.0)
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
    assert torch.equal(ParameterRecorder(model, '1.running_mean').feature,
                       model[1].running_mean)  # buffers too


def test_parameter_recorder_path_error_lists_close_names():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    with pytest.raises(ValueError, match=r"'1.wieght' is not a parameter or buffer of "
                                         r"Sequential; closest: \['1.weight'"):
        ParameterRecorder(model, '1.wieght')


def test_recorder_group_records_several_tensors_and_removes_hooks():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    group = RecorderGroup(model, dict(hidden=dict(path='0'), out=dict(path='2'),
                                      weight=dict(path='2.weight', source='parameter')),
                          role='student')
    x = torch.randn(5, 3)
    with group:
        out = model(x)
    torch.testing.assert_close(group.feature('hidden'), model[0](x))
    torch.testing.assert_close(group.features()['out'], out)
    assert group.feature('weight') is model[2].weight
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
    with pytest.raises(RuntimeError, match='boom'), group:
        raise RuntimeError('boom')
    assert not any(m._forward_hooks for m in model.modules())
    with pytest.raises(KeyError, match=r"no student recorder named 'hiden'.*\['hidden', 'out', "
                                       r"'weight'\]"):
        group['hiden']
    with pytest.raises(ValueError, match=r"student recorder 'bad': recorder path '9'"):
        RecorderGroup(model, dict(bad=dict(path='9')), role='student')


def test_a_recorder_pools_by_its_own_pool_argument():
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3))
    group = RecorderGroup(model, dict(maps=dict(path='0'), vec=dict(path='0', pool='avg'),
                                      clips=dict(path='1', pool='frames'),
                                      gamma=dict(path='1.weight', source='parameter')),
                          role='student')
    x = torch.randn(4, 2, 5, 5)  # 2 clips of 2 frames, folded sample-major
    with group:
        model(x)
    maps = model[0](x)
    assert group.recorded('maps', 4) is group.feature('maps')
    torch.testing.assert_close(group.recorded('vec', 4), maps.mean((2, 3)))
    out = group.feature('clips')
    torch.testing.assert_close(group.recorded('clips', 2), (out[0::2] + out[1::2]) / 2)
    assert group.recorded('gamma', 2) is model[1].weight
    # Widths as the modules declare them: the conv's 3 outputs, the BN's 3 features.
    assert [group[name].declared_width() for name in ('vec', 'clips', 'gamma')] == [3, 3, None]
    assert group.describe('vec') == "student recorder 'vec' (path '0', pool 'avg')"


def test_pool_errors_name_the_recorder():
    model = nn.Sequential(nn.Linear(3, 4))
    with pytest.raises(ValueError, match=r"teacher recorder 'x': pool must be one of .*got "
                                         r"'max'"):
        RecorderGroup(model, dict(x=dict(path='0', pool='max')), role='teacher')
    with pytest.raises(ValueError, match=r"teacher recorder 'w': a parameter recorder gives "
                                         r"the parameter as it is; remove pool='avg'"):
        RecorderGroup(model, dict(w=dict(path='0.weight', source='parameter', pool='avg')),
                      role='teacher')
    assert FeatureRecorder(model, '0', pool='tokens').declared_width() is None
