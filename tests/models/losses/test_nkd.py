"""NKDLoss against hand-computed values and a naive loop of the official formula."""
import math

import pytest
import torch

from fdkd_mm.models.losses.nkd import NKDLoss, non_target_indices


def softmax(values):
    exps = [math.exp(v) for v in values]
    return [e / sum(exps) for e in exps]


def naive_nkd(student, teacher, target, tau, gamma):
    target_term, non_target_term = 0.0, 0.0
    for s_row, t_row, t in zip(student.tolist(), teacher.tolist(), target.tolist()):
        target_term += -softmax(t_row)[t] * math.log(softmax(s_row)[t])
        others = [c for c in range(len(s_row)) if c != t]
        s_hat = softmax([s_row[c] / tau for c in others])
        t_hat = softmax([t_row[c] / tau for c in others])
        non_target_term += sum(a * math.log(b) for a, b in zip(t_hat, s_hat))
    n = len(target)
    return target_term / n - gamma * tau**2 * non_target_term / n


def test_hand_computed():
    student = torch.zeros(1, 3)                        # σ(zˢ) = (1/3, 1/3, 1/3)
    teacher = torch.tensor([[math.log(2), 0.0, 0.0]])  # σ(zᵀ) ∝ (2, 1, 1): target prob 1/2
    target = torch.tensor([0])
    # target term: −1/2 · ln(1/3) = 1/2 · ln 3
    # non-target: T̂ = Ŝ = (1/2, 1/2), Σ T̂ log Ŝ = ln(1/2), times −γτ² = −1.5 -> 1.5 · ln 2
    expected = 0.5 * math.log(3) + 1.5 * math.log(2)
    assert NKDLoss()(student, teacher, target).item() == pytest.approx(expected, rel=1e-6)


def test_non_target_indices_skip_the_target():
    idx = non_target_indices(torch.tensor([0, 2, 3]), 4)
    assert idx.tolist() == [[1, 2, 3], [0, 1, 3], [0, 1, 2]]


def test_matches_naive_loop():
    gen = torch.Generator().manual_seed(0)
    student, teacher = torch.randn(4, 5, generator=gen) * 2, torch.randn(4, 5, generator=gen) * 2
    target = torch.tensor([0, 4, 2, 2])
    for tau, gamma in ((1.0, 1.5), (2.0, 0.5)):
        loss = NKDLoss(temperature=tau, gamma=gamma)(student, teacher, target)
        assert loss.item() == pytest.approx(naive_nkd(student, teacher, target, tau, gamma),
                                            rel=1e-5)


def test_dense_with_ignored_pixels():
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(2, 3, 2, 2, generator=gen)
    teacher = torch.randn(2, 3, 2, 2, generator=gen)
    target = torch.tensor([[[0, 255], [2, 1]], [[255, 255], [1, 0]]])
    rows_s, rows_t, labels = [], [], []
    for n in range(2):
        for h in range(2):
            for w in range(2):
                if target[n, h, w] != 255:
                    rows_s.append(student[n, :, h, w])
                    rows_t.append(teacher[n, :, h, w])
                    labels.append(int(target[n, h, w]))
    expected = naive_nkd(torch.stack(rows_s), torch.stack(rows_t), torch.tensor(labels), 1.0, 1.5)
    assert NKDLoss()(student, teacher, target).item() == pytest.approx(expected, rel=1e-5)


def test_gradient_reaches_student_only():
    gen = torch.Generator().manual_seed(2)
    student = torch.randn(3, 4, generator=gen, requires_grad=True)
    teacher = torch.randn(3, 4, generator=gen, requires_grad=True)
    NKDLoss()(student, teacher, torch.tensor([3, 0, 1])).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None
