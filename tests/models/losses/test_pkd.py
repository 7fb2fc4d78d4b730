"""PKDLoss against hand-computed standardisation and a naive per-channel loop."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fdkd_mm.models.losses.pkd import PKDLoss


def naive_pkd(student, teacher, eps=1e-6):
    """Standardise each channel over (N, H, W) with loops, then Σ squared diff / count / 2."""
    n, c = student.shape[:2]
    spatial = student[0, 0].numel() if student.dim() == 4 else 1
    total, count = 0.0, 0
    for ch in range(c):
        s_vals = student[:, ch].flatten().tolist()
        t_vals = teacher[:, ch].flatten().tolist()
        m = len(s_vals)
        assert m == n * spatial
        s_mean, t_mean = sum(s_vals) / m, sum(t_vals) / m
        s_std = math.sqrt(sum((v - s_mean) ** 2 for v in s_vals) / (m - 1))
        t_std = math.sqrt(sum((v - t_mean) ** 2 for v in t_vals) / (m - 1))
        for a, b in zip(s_vals, t_vals):
            total += ((a - s_mean) / (s_std + eps) - (b - t_mean) / (t_std + eps)) ** 2
            count += 1
    return total / count / 2


def test_hand_computed_vectors():
    student = torch.tensor([[1.0], [2.0], [3.0]])  # mean 2, unbiased std 1 -> (−1, 0, 1)
    teacher = torch.tensor([[2.0], [4.0], [0.0]])  # mean 2, var (0 + 4 + 4) / 2 = 4 -> (0, 1, −1)
    # differences (−1, −1, 2) -> MSE (1 + 1 + 4) / 3 = 2 -> / 2 = 1
    assert PKDLoss()(student, teacher).item() == pytest.approx(1.0, rel=1e-5)


def test_maps_match_naive_loop_and_pearson_identity():
    gen = torch.Generator().manual_seed(0)
    student = torch.randn(2, 3, 2, 2, generator=gen)
    teacher = torch.randn(2, 3, 2, 2, generator=gen) * 5 + 1
    loss = PKDLoss(loss_weight=2.0)(student, teacher)
    assert loss.item() == pytest.approx(2.0 * naive_pkd(student, teacher), rel=1e-5)
    # MSE/2 of standardised channels = (M − 1)/M · mean_c (1 − r_c), M = N·H·W = 8.
    r = [np.corrcoef(student[:, c].flatten().numpy(), teacher[:, c].flatten().numpy())[0, 1]
         for c in range(3)]
    expected = 7 / 8 * float(np.mean([1 - v for v in r]))
    assert PKDLoss(eps=0.0)(student, teacher).item() == pytest.approx(expected, rel=1e-5)


def test_student_is_resized_bilinearly_to_the_teacher():
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(2, 3, 2, 2, generator=gen)
    teacher = torch.randn(2, 3, 4, 4, generator=gen)
    resized = F.interpolate(student, size=(4, 4), mode='bilinear', align_corners=False)
    assert PKDLoss()(student, teacher).item() == pytest.approx(naive_pkd(resized, teacher),
                                                               rel=1e-5)
    shrunk = F.interpolate(teacher, size=(2, 2), mode='bilinear', align_corners=False)
    assert PKDLoss(resize_student=False)(student, teacher).item() == pytest.approx(
        naive_pkd(student, shrunk), rel=1e-5)


def test_gradient_reaches_student_only():
    gen = torch.Generator().manual_seed(2)
    student = torch.randn(2, 3, 2, 2, generator=gen, requires_grad=True)
    teacher = torch.randn(2, 3, 2, 2, generator=gen, requires_grad=True)
    PKDLoss()(student, teacher).backward()
    assert student.grad.abs().sum() > 0 and teacher.grad is None
