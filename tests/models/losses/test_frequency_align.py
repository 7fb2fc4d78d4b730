"""FrequencyAlignLoss against values computed by hand from Eq. 7-9 (docs/method.md)."""
import math

import pytest
import torch

from fdkd_mm.models.losses import FrequencyAlignLoss, signed_log, standardize


def test_mse_without_standardize_is_plain_mean_square():
    s = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    t = torch.tensor([[0.0, 2.0], [5.0, 4.0]])
    # differences 1, 0, -2, 0 -> (1 + 0 + 4 + 0) / 4
    loss = FrequencyAlignLoss(mode='mse', standardize=False)(s, t)
    assert loss.item() == pytest.approx(1.25)


def test_log_mse_without_standardize():
    s = torch.tensor([[3.0, -1.0]])
    t = torch.tensor([[0.0, 1.0]])
    # σ(3) = log 4, σ(-1) = -log 2, σ(0) = 0, σ(1) = log 2
    expected = ((math.log(4) - 0) ** 2 + (-math.log(2) - math.log(2)) ** 2) / 2
    loss = FrequencyAlignLoss(mode='log_mse', standardize=False, loss_weight=2.0)(s, t)
    assert loss.item() == pytest.approx(2.0 * expected, rel=1e-6)


def test_mse_with_standardize_by_hand():
    s = torch.tensor([[1.0, 2.0, 3.0]])   # centred (-1, 0, 1), norm √2
    t = torch.tensor([[0.0, 0.0, 6.0]])   # centred (-2, -2, 4), norm √24
    s_std = [-1 / math.sqrt(2), 0.0, 1 / math.sqrt(2)]
    t_std = [-2 / math.sqrt(24), -2 / math.sqrt(24), 4 / math.sqrt(24)]
    expected = sum((a - b) ** 2 for a, b in zip(s_std, t_std)) / 3
    assert FrequencyAlignLoss('mse')(s, t).item() == pytest.approx(expected, rel=1e-6)
    log_expected = sum((math.copysign(math.log1p(abs(a)), a)
                        - math.copysign(math.log1p(abs(b)), b)) ** 2
                       for a, b in zip(s_std, t_std)) / 3
    assert FrequencyAlignLoss('log_mse')(s, t).item() == pytest.approx(log_expected, rel=1e-6)


def test_dense_standardizes_per_pixel():
    s = torch.randn(2, 8, 3, 4)
    std = standardize(s)
    torch.testing.assert_close(std.mean(1), torch.zeros(2, 3, 4), atol=1e-6, rtol=0)
    torch.testing.assert_close(std.norm(dim=1), torch.ones(2, 3, 4), atol=1e-5, rtol=0)
    flat = s.permute(0, 2, 3, 1).reshape(-1, 8)
    t = torch.randn_like(s)
    flat_t = t.permute(0, 2, 3, 1).reshape(-1, 8)
    for mode in ('mse', 'log_mse'):
        torch.testing.assert_close(FrequencyAlignLoss(mode)(s, t),
                                   FrequencyAlignLoss(mode)(flat, flat_t))


def test_constant_vector_is_finite():
    s = torch.ones(2, 4)
    assert torch.isfinite(FrequencyAlignLoss()(s, torch.randn(2, 4)))


def test_signed_log_values():
    x = torch.tensor([-math.e + 1, 0.0, math.e - 1])
    torch.testing.assert_close(signed_log(x), torch.tensor([-1.0, 0.0, 1.0]))


def test_gradient_reaches_student_only():
    s = torch.randn(3, 8, requires_grad=True)
    t = torch.randn(3, 8, requires_grad=True)
    for mode in ('mse', 'log_mse'):
        FrequencyAlignLoss(mode)(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_bad_arguments():
    with pytest.raises(ValueError, match='mode'):
        FrequencyAlignLoss(mode='l1')
    with pytest.raises(ValueError, match='same shape'):
        FrequencyAlignLoss()(torch.randn(2, 4), torch.randn(2, 5))
