"""SpatialFrequencyDecoupler: radial split of the 2-D spatial spectrum of dense features."""
import math

import pytest
import torch

from fdkd_mm.models.decouplers import SpatialFrequencyDecoupler, radial_band_masks
from fdkd_mm.registry import MODELS
from fdkd_mm.testing.tiny_models import with_fd_loss


@pytest.mark.parametrize('size', [(8, 8), (7, 10), (16, 20)])
def test_bands_sum_to_input_minus_its_spatial_mean(size):
    x = torch.randn(2, 5, *size) * 2 + 3
    low, high = SpatialFrequencyDecoupler(0.5)(x)
    torch.testing.assert_close(low + high, x - x.mean((2, 3), keepdim=True), atol=1e-5, rtol=0)
    assert low.shape == high.shape == x.shape


def test_smooth_pattern_is_low_and_checkerboard_is_high():
    rows, cols = torch.meshgrid(torch.arange(16.), torch.arange(16.), indexing='ij')
    smooth = torch.cos(2 * math.pi * rows / 16)  # 1/16 cycle per pixel
    checker = (-1.0) ** (rows + cols)  # the highest frequency on the grid
    x = torch.stack([smooth, checker])[None]  # (1, 2, 16, 16)
    low, high = SpatialFrequencyDecoupler(0.5)(x)
    torch.testing.assert_close(low[0, 0], smooth, atol=1e-5, rtol=0)
    assert high[0, 0].abs().max() < 1e-5
    torch.testing.assert_close(high[0, 1], checker, atol=1e-5, rtol=0)
    assert low[0, 1].abs().max() < 1e-5


def test_radial_masks_by_cycles_per_pixel():
    masks = radial_band_masks(8, 8, 0.5)
    assert masks.shape == (2, 8, 5)
    assert masks[:, 0, 0].eq(0).all()  # DC in neither band
    # Largest radius sqrt(0.5^2 + 0.5^2); bin (0, 2) has radius 0.25 < 0.354 -> low,
    # bin (0, 3) radius 0.375 -> high.
    assert masks[0, 0, 2] == 1 and masks[1, 0, 3] == 1
    assert ((masks[0] + masks[1]) == 1).sum() == 8 * 5 - 1
    with pytest.raises(ValueError, match='empty'):
        radial_band_masks(1, 2, 0.5)


def test_vectors_are_rejected_and_autocast_keeps_dtype():
    decoupler = MODELS.build(dict(type='SpatialFrequencyDecoupler', cutoff=0.5))
    with pytest.raises(ValueError, match='dense'):
        decoupler(torch.randn(4, 16))
    x = torch.randn(2, 4, 6, 6, dtype=torch.bfloat16)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        low, high = decoupler(x)
    assert low.dtype == torch.bfloat16


def test_distiller_uses_spatial_bands_with_the_standard_keys(seg_distiller_cfg, seg_batch):
    from fdkd_mm.models.losses import FrequencyAlignLoss
    cfg = with_fd_loss(seg_distiller_cfg,
                       decoupler=dict(type='SpatialFrequencyDecoupler', cutoff=0.5))
    model = MODELS.build(cfg)
    data = model.data_preprocessor(seg_batch, True)
    losses = model(**data, mode='loss')
    assert {'distill.loss_low', 'distill.loss_high', 'aux.loss_low',
            'align.loss_high_teacher'} <= set(losses)
    student = model.student_recorders.feature('feat')
    teacher = model.teacher_recorders.feature('feat')
    (s_low, s_high), (t_low, t_high) = (SpatialFrequencyDecoupler(0.5)(f)
                                        for f in (student, teacher))
    torch.testing.assert_close(losses['distill.loss_low'],
                               FrequencyAlignLoss('mse')(s_low, t_low))
    torch.testing.assert_close(losses['distill.loss_high'],
                               FrequencyAlignLoss('log_mse')(s_high, t_high))
