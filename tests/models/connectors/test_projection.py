"""ProjectionConnector: Linear (per pixel: 1x1 conv) + BN, one weight set for both layouts."""
import pytest
import torch
import torch.nn.functional as F

from fdkd_mm.models.connectors import ProjectionConnector


def test_projection_connector_vectors_and_maps_share_weights():
    proj = ProjectionConnector(6, 4).eval()
    x = torch.randn(3, 6)
    maps = torch.randn(2, 6, 3, 3)
    bn = proj.norm
    expected = (F.linear(x, proj.fc.weight) - bn.running_mean) / torch.sqrt(
        bn.running_var + bn.eps) * bn.weight + bn.bias
    torch.testing.assert_close(proj(x), expected)
    dense = proj(maps)
    assert dense.shape == (2, 4, 3, 3)
    torch.testing.assert_close(dense[0, :, 1, 2], proj(maps[0, :, 1, 2][None])[0])


def test_width_mismatch_error_names_the_shape():
    with pytest.raises(ValueError, match=r'expects 6 channels in dim 1, got features of shape '
                                         r'\(2, 5\)'):
        ProjectionConnector(6, 4)(torch.randn(2, 5))
