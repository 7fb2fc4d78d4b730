"""FeatureFusion: each mode against hand-computed values, declared widths, refusals."""
import pytest
import torch

from fdkd_mm.errors import ConfigError
from fdkd_mm.models.fusion import FeatureFusion

AUDIO = torch.tensor([[1., 2.], [3., 4.]])
VISUAL = torch.tensor([[10., 20.], [30., 40.]])


def test_concat_lays_the_modalities_side_by_side():
    fusion = FeatureFusion([2, 2], mode='concat')
    assert fusion.out_channels == 4
    assert torch.equal(fusion([AUDIO, VISUAL]),
                       torch.tensor([[1., 2., 10., 20.], [3., 4., 30., 40.]]))


def test_sum_adds_equal_width_features():
    fusion = FeatureFusion([2, 2], mode='sum')
    assert fusion.out_channels == 2
    assert torch.equal(fusion([AUDIO, VISUAL]), torch.tensor([[11., 22.], [33., 44.]]))


def test_mlp_is_relu_of_a_linear_map_of_the_concatenation():
    fusion = FeatureFusion([2, 2], mode='mlp', hidden_channels=3)
    assert fusion.out_channels == 3
    with torch.no_grad():
        fusion.mlp[0].weight.copy_(torch.tensor([[1., 0., 0., 0.],     # audio_0
                                                 [0., 1., -1., 0.],    # audio_1 - visual_0
                                                 [0., 0., 0., 0.1]]))  # visual_1 / 10
        fusion.mlp[0].bias.copy_(torch.tensor([0., 0., -3.]))
    # Row 1: [1, 2-10, 2-3] -> ReLU [1, 0, 0]; row 2: [3, 4-30, 4-3] -> [3, 0, 1].
    assert torch.allclose(fusion([AUDIO, VISUAL]), torch.tensor([[1., 0., 0.], [3., 0., 1.]]))


def test_unequal_widths_concat_and_order_follows_in_channels():
    fusion = FeatureFusion([1, 3])
    out = fusion([torch.tensor([[5.]]), torch.tensor([[6., 7., 8.]])])
    assert out.tolist() == [[5., 6., 7., 8.]] and fusion.out_channels == 4


@pytest.mark.parametrize('kwargs, match', [
    (dict(in_channels=[2, 3], mode='sum'), "'sum' needs equal widths"),
    (dict(in_channels=[2, 2], mode='mlp'), 'hidden_channels'),
    (dict(in_channels=[2, 2], mode='concat', hidden_channels=4), 'hidden_channels'),
    (dict(in_channels=[2, 2], mode='attention'), 'fusion mode must be one of'),
    (dict(in_channels=[2]), 'two or more'),
])
def test_bad_settings_are_config_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        FeatureFusion(**kwargs)


def test_a_feature_of_the_wrong_width_is_named():
    fusion = FeatureFusion([2, 2])
    with pytest.raises(ValueError, match=r'fused feature 1 has shape \(2, 3\)'):
        fusion([AUDIO, torch.zeros(2, 3)])
    with pytest.raises(ValueError, match='expects 2 features, got 1'):
        fusion([AUDIO])
