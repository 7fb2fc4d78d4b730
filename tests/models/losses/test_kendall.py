"""Batched torch Kendall τ-b against scipy.stats.kendalltau, row by row."""
import warnings

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau

from fdkd_mm.models.losses.kendall import kendall_tau


def scipy_rows(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # scipy warns on constant input
        return [kendalltau(a, b)[0] for a, b in zip(x.numpy(), y.numpy())]


def test_hand_computed():
    # pairs (1,2): concordant, (1,3): concordant, (2,3): discordant -> (2 − 1) / 3
    tau = kendall_tau(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[1.0, 3.0, 2.0]]))
    assert tau.item() == pytest.approx(1 / 3)


def test_matches_scipy_without_ties():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 12, generator=gen), torch.randn(16, 12, generator=gen)
    y[0] = x[0] * 2 + 1   # τ = 1
    y[1] = -x[1]          # τ = −1
    tau = kendall_tau(x, y)
    assert tau.tolist() == pytest.approx(scipy_rows(x, y), abs=1e-6)
    assert tau[0].item() == pytest.approx(1.0) and tau[1].item() == pytest.approx(-1.0)


def test_matches_scipy_with_ties():
    gen = torch.Generator().manual_seed(1)
    # Values in {0, 1, 2}: many ties in x, in y, and joint ties.
    x = torch.randint(0, 3, (32, 9), generator=gen).float()
    y = torch.randint(0, 3, (32, 9), generator=gen).float()
    expected = scipy_rows(x, y)
    assert not any(np.isnan(expected))
    assert kendall_tau(x, y).tolist() == pytest.approx(expected, abs=1e-6)


def test_constant_row_is_nan_like_scipy():
    x = torch.tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])
    y = torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 2.0]])
    tau = kendall_tau(x, y)
    expected = scipy_rows(x, y)
    assert np.isnan(expected[0]) and torch.isnan(tau[0])
    assert tau[1].item() == pytest.approx(expected[1], abs=1e-6)
    assert not (tau > 0.0)[0]  # a NaN row is never selected


def test_shape_check():
    with pytest.raises(ValueError):
        kendall_tau(torch.zeros(2, 3), torch.zeros(2, 4))
