"""Streaming statistics behind the feature-scale and spectrum figures."""
import math

import pytest
import torch

from fdkd_mm.analysis.statistics import (DimensionMeans, SpectrumEnergy, low_band_fraction,
                                         sample_points)
from fdkd_mm.models.decouplers import FrequencyDecoupler


def test_dimension_means_over_samples_and_pixels():
    x = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).view(2, 3, 2, 2)
    meter = DimensionMeans()
    meter.update(x[:1])
    meter.update(x[1:])
    torch.testing.assert_close(meter.compute().float(), x.mean((0, 2, 3)))


def test_spectrum_of_a_pure_tone_and_the_low_band_share_follows_parseval():
    n = torch.arange(16.)
    tone = torch.cos(2 * math.pi * 3 * n / 16)[None]  # all energy in bin 3
    meter = SpectrumEnergy()
    meter.update(tone)
    energy = meter.compute()
    assert energy.argmax() == 3 and energy[3] == pytest.approx(64 / 16)
    x = torch.randn(50, 40)
    meter = SpectrumEnergy()
    meter.update(x)
    low, high = FrequencyDecoupler(0.25, method='fft')(x)
    expected = (low ** 2).sum() / ((low ** 2).sum() + (high ** 2).sum())
    assert low_band_fraction(meter.compute(), 40, 0.25) == pytest.approx(
        expected.item(), rel=1e-4)


def test_sample_points_takes_the_same_labelled_pixels_from_both_maps():
    a = torch.randn(2, 4, 3, 3)
    labels = torch.full((2, 6, 6), 255)
    labels[:, :2, :2] = 1  # only the top-left feature pixel (nearest resize) is labelled
    (pa, pb), picked = sample_points([a, a * 2], labels, 5, torch.Generator().manual_seed(0))
    assert pa.shape == (2, 4) and picked.tolist() == [1, 1]
    torch.testing.assert_close(pa, a[:, :, 0, 0])
    torch.testing.assert_close(pb, 2 * pa)
