"""DMLLoss: both KL directions by hand, against a loop, and each trains only its own side."""
import math

import pytest
import torch

from fdkd_mm.models.losses.dml import DMLLoss


def softmax(values):
    exps = [math.exp(v) for v in values]
    return [e / sum(exps) for e in exps]


def naive_kl_mean(target_logits, pred_logits, tau):
    total = 0.0
    for p_row, q_row in zip(target_logits.tolist(), pred_logits.tolist()):
        p = softmax([v / tau for v in p_row])
        q = softmax([v / tau for v in q_row])
        total += sum(a * math.log(a / b) for a, b in zip(p, q))
    return tau**2 * total / len(target_logits)


def test_hand_computed_both_directions():
    student = torch.zeros(1, 2)                      # (1/2, 1/2)
    teacher = torch.tensor([[math.log(3), 0.0]])     # (3/4, 1/4)
    losses = DMLLoss()(student, teacher)
    # KL(teacher ‖ student) = 3/4·ln(3/2) + 1/4·ln(1/2)
    assert losses['loss_kl_student'].item() == pytest.approx(
        0.75 * math.log(1.5) + 0.25 * math.log(0.5), rel=1e-6)
    # KL(student ‖ teacher) = 1/2·ln(2/3) + 1/2·ln(2)
    assert losses['loss_kl_teacher'].item() == pytest.approx(
        0.5 * math.log(2 / 3) + 0.5 * math.log(2), rel=1e-6)


def test_matches_naive_loop():
    gen = torch.Generator().manual_seed(0)
    student, teacher = torch.randn(3, 4, generator=gen), torch.randn(3, 4, generator=gen) * 2
    losses = DMLLoss(temperature=2.0, loss_weight=0.5)(student, teacher)
    assert losses['loss_kl_student'].item() == pytest.approx(
        0.5 * naive_kl_mean(teacher, student, 2.0), rel=1e-5)
    assert losses['loss_kl_teacher'].item() == pytest.approx(
        0.5 * naive_kl_mean(student, teacher, 2.0), rel=1e-5)


def test_dense_with_ignored_pixels():
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(1, 3, 2, 2, generator=gen)
    teacher = torch.randn(1, 3, 2, 2, generator=gen)
    target = torch.tensor([[[1, 255], [0, 2]]])
    keep = [(0, 0), (1, 0), (1, 1)]
    rows_s = torch.stack([student[0, :, h, w] for h, w in keep])
    rows_t = torch.stack([teacher[0, :, h, w] for h, w in keep])
    losses = DMLLoss()(student, teacher, target)
    assert losses['loss_kl_student'].item() == pytest.approx(naive_kl_mean(rows_t, rows_s, 1.0),
                                                             rel=1e-5)
    assert losses['loss_kl_teacher'].item() == pytest.approx(naive_kl_mean(rows_s, rows_t, 1.0),
                                                             rel=1e-5)


def test_each_term_trains_only_its_own_network():
    gen = torch.Generator().manual_seed(2)
    student = torch.randn(4, 5, generator=gen, requires_grad=True)
    teacher = torch.randn(4, 5, generator=gen, requires_grad=True)
    losses = DMLLoss()(student, teacher)
    losses['loss_kl_student'].backward(retain_graph=True)
    assert student.grad.abs().sum() > 0 and teacher.grad is None
    student.grad = None
    losses['loss_kl_teacher'].backward()
    assert teacher.grad.abs().sum() > 0 and student.grad is None
