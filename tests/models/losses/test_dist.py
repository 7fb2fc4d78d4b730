"""DISTLoss against hand-computed correlations and a naive loop."""
import math

import pytest
import torch

from fdkd_mm.models.losses.dist import DISTLoss


def softmax(row, tau):
    exps = [math.exp(v / tau) for v in row]
    return [e / sum(exps) for e in exps]


def pearson(a, b):
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b))
    norm_a = math.sqrt(sum((x - mean_a) ** 2 for x in a))
    norm_b = math.sqrt(sum((y - mean_b) ** 2 for y in b))
    return cov / (norm_a * norm_b)


def naive_dist(student, teacher, beta, gamma, tau):
    y_s = [softmax(row, tau) for row in student.tolist()]
    y_t = [softmax(row, tau) for row in teacher.tolist()]
    rows, classes = len(y_s), len(y_s[0])
    inter = 1 - sum(pearson(y_s[n], y_t[n]) for n in range(rows)) / rows
    intra = 1 - sum(pearson([y_s[n][c] for n in range(rows)], [y_t[n][c] for n in range(rows)])
                    for c in range(classes)) / classes
    return tau**2 * (beta * inter + gamma * intra)


def test_hand_computed_two_classes():
    # With two classes a row is (p, 1 − p); centred it is ±(p − 1/2)(1, −1), so the Pearson
    # correlation of two rows is sign((p − 1/2)(q − 1/2)), and of two columns
    # sign((p₁ − p₂)(q₁ − q₂)).
    student = torch.tensor([[1.0, 0.0], [0.0, 1.0]])   # p(class 0) = σ(1) > 1/2, σ(−1) < 1/2
    teacher = torch.tensor([[2.0, 0.0], [3.0, 0.0]])   # q(class 0) = σ(2), σ(3), both > 1/2
    # inter: sample 0 agrees (+1), sample 1 disagrees (−1) -> 1 − 0 = 1
    # intra: p₁ − p₂ > 0 but q₁ − q₂ = σ(2) − σ(3) < 0 -> −1 for both classes -> 1 − (−1) = 2
    loss = DISTLoss()(student, teacher)
    assert loss.item() == pytest.approx(1.0 * 1 + 1.0 * 2, abs=1e-6)
    loss = DISTLoss(beta=2.0, gamma=0.5, loss_weight=3.0)(student, teacher)
    assert loss.item() == pytest.approx(3.0 * (2.0 * 1 + 0.5 * 2), abs=1e-5)


def test_matches_naive_loop():
    gen = torch.Generator().manual_seed(0)
    student, teacher = torch.randn(4, 5, generator=gen), torch.randn(4, 5, generator=gen) * 2
    for beta, gamma, tau in ((1.0, 1.0, 1.0), (2.0, 0.5, 3.0)):
        loss = DISTLoss(beta=beta, gamma=gamma, temperature=tau)(student, teacher)
        assert loss.item() == pytest.approx(naive_dist(student, teacher, beta, gamma, tau),
                                            rel=1e-5)


def test_dense_every_pixel_is_a_row():
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(2, 3, 2, 3, generator=gen)
    teacher = torch.randn(2, 3, 2, 3, generator=gen)
    rows_s = [[student[n, c, h, w].item() for c in range(3)]
              for n in range(2) for h in range(2) for w in range(3)]
    rows_t = [[teacher[n, c, h, w].item() for c in range(3)]
              for n in range(2) for h in range(2) for w in range(3)]
    expected = naive_dist(torch.tensor(rows_s), torch.tensor(rows_t), 1.0, 1.0, 1.0)
    assert DISTLoss()(student, teacher).item() == pytest.approx(expected, rel=1e-5)


def test_identical_predictions_give_zero_and_gradient_reaches_student_only():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(5, 4, generator=gen)
    assert DISTLoss()(logits, logits).item() == pytest.approx(0.0, abs=1e-5)  # float32
    student = torch.randn(5, 4, generator=gen, requires_grad=True)
    teacher = torch.randn(5, 4, generator=gen, requires_grad=True)
    DISTLoss()(student, teacher).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None
