"""OFD: margins against scipy.stats.norm, the partial L2 by hand and by loop, the connector."""
import math

import pytest
import torch
from scipy.stats import norm

from fdkd_mm.models.connectors import OFDConnector
from fdkd_mm.models.losses.ofd import OFDLoss, ofd_margin, ofd_margin_from_bn


def scipy_margin(gamma, beta):
    s, m = abs(gamma), beta
    if norm.cdf(-m / s) > 0.001:
        return m - s * norm.pdf(m / s) / norm.cdf(-m / s)
    return -3 * s


def test_margin_matches_scipy_norm():
    # Includes a negative γ (|γ| is the std), β < 0, β = 0 and a channel with Φ(−m/s) < 0.001
    # (m/s = 4) that takes the −3s branch.
    gamma = torch.tensor([1.0, -0.5, 2.0, 1.0, 0.3, 1.5])
    beta = torch.tensor([0.0, 0.2, -1.0, 4.0, 0.9, 3.5])
    margin = ofd_margin(gamma, beta)
    expected = [scipy_margin(g, b) for g, b in zip(gamma.tolist(), beta.tolist())]
    assert margin.tolist() == pytest.approx(expected, rel=1e-6)
    assert margin[3].item() == pytest.approx(-3.0)
    # β = 0: E[x | x < 0] for N(0, 1) is −φ(0)/Φ(0) = −2/√(2π)
    assert margin[0].item() == pytest.approx(-2 / math.sqrt(2 * math.pi), rel=1e-6)
    assert (margin < 0).all()


def test_margin_from_bn_module():
    bn = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.7, -1.2, 0.1]))
        bn.bias.copy_(torch.tensor([0.3, -0.4, 0.5]))
    expected = [scipy_margin(g, b) for g, b in ((0.7, 0.3), (-1.2, -0.4), (0.1, 0.5))]
    assert ofd_margin_from_bn(bn).tolist() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match='affine'):
        ofd_margin_from_bn(torch.nn.BatchNorm2d(3, affine=False))


def test_partial_l2_by_hand():
    margin = torch.tensor([-1.0, -0.5])
    teacher = torch.tensor([[-2.0, -0.2], [0.5, -3.0]])  # clipped: [[−1, −0.2], [0.5, −0.5]]
    student = torch.tensor([[-3.0, 0.3], [0.0, -0.6]])
    # (0,0): S=−3 ≤ T′=−1 and T′ ≤ 0 -> dropped
    # (0,1): S=0.3 > T′=−0.2 -> (0.5)² = 0.25
    # (1,0): T′=0.5 > 0 -> (−0.5)² = 0.25
    # (1,1): S=−0.6 ≤ T′=−0.5 and T′ ≤ 0 -> dropped
    # Σ = 0.5, divided by N = 2 -> 0.25
    assert OFDLoss(loss_weight=1.0)(student, teacher, margin).item() == pytest.approx(0.25)
    assert OFDLoss()(student, teacher, margin).item() == pytest.approx(0.25e-3)


def test_maps_match_naive_loop_and_stored_margin():
    gen = torch.Generator().manual_seed(0)
    student = torch.randn(2, 3, 2, 2, generator=gen)
    teacher = torch.randn(2, 3, 2, 2, generator=gen)
    margin = torch.tensor([-0.5, -1.0, -0.1])
    total = 0.0
    for n in range(2):
        for c in range(3):
            for h in range(2):
                for w in range(2):
                    s = student[n, c, h, w].item()
                    t = max(teacher[n, c, h, w].item(), margin[c].item())
                    if s > t or t > 0:
                        total += (s - t) ** 2
    loss = OFDLoss(loss_weight=1.0)
    with pytest.raises(RuntimeError, match='margin'):
        loss(student, teacher)
    loss.set_margin(margin)
    assert loss(student, teacher).item() == pytest.approx(total / 2, rel=1e-5)
    assert 'margin' not in loss.state_dict()
    bn = torch.nn.BatchNorm2d(3)
    loss.set_margin(bn)  # γ = 1, β = 0 -> −2/√(2π) everywhere
    assert loss.margin.tolist() == pytest.approx([-2 / math.sqrt(2 * math.pi)] * 3, rel=1e-6)


def test_connector_and_gradients():
    connector = OFDConnector(4, 3)
    assert connector(torch.randn(2, 4, 5, 5)).shape == (2, 3, 5, 5)
    student = torch.randn(6, 4, requires_grad=True)
    teacher = torch.randn(6, 3, requires_grad=True)
    mapped = connector(student)
    assert mapped.shape == (6, 3)
    OFDLoss(loss_weight=1.0)(mapped, teacher, torch.full((3,), -1.0)).backward()
    assert student.grad.abs().sum() > 0 and connector.conv.weight.grad.abs().sum() > 0
    assert teacher.grad is None
