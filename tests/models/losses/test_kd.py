"""KDLoss against hand-computed values and a naive per-sample loop."""
import math

import pytest
import torch

from fdkd_mm.models.losses.kd import KDLoss


def naive_kd(student, teacher, temperature):
    """τ² · mean over rows of Σ_c p_t log(p_t / p_s), with explicit loops."""
    total = 0.0
    for s_row, t_row in zip(student.tolist(), teacher.tolist()):
        s_exp = [math.exp(v / temperature) for v in s_row]
        t_exp = [math.exp(v / temperature) for v in t_row]
        p_s = [v / sum(s_exp) for v in s_exp]
        p_t = [v / sum(t_exp) for v in t_exp]
        total += sum(pt * math.log(pt / ps) for pt, ps in zip(p_t, p_s))
    return temperature**2 * total / len(student)


def test_hand_computed_two_classes():
    tau = 4.0
    student = torch.zeros(1, 2)                          # σ = (1/2, 1/2)
    teacher = torch.tensor([[tau * math.log(3), 0.0]])   # σ(z/τ) ∝ (3, 1) = (3/4, 1/4)
    # KL = 3/4·ln((3/4)/(1/2)) + 1/4·ln((1/4)/(1/2)) = 3/4·ln 1.5 − 1/4·ln 2; times τ² = 16
    expected = 16 * (0.75 * math.log(1.5) - 0.25 * math.log(2))
    assert KDLoss()(student, teacher).item() == pytest.approx(expected, rel=1e-6)
    assert KDLoss(loss_weight=0.5)(student, teacher).item() == pytest.approx(
        expected / 2, rel=1e-6)


def test_matches_naive_loop_batch_mean():
    gen = torch.Generator().manual_seed(0)
    student, teacher = torch.randn(3, 5, generator=gen), torch.randn(3, 5, generator=gen) * 3
    for tau in (1.0, 4.0):
        loss = KDLoss(temperature=tau)(student, teacher)
        assert loss.item() == pytest.approx(naive_kd(student, teacher, tau), rel=1e-5)


def test_dense_every_valid_pixel_is_a_sample():
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(2, 4, 3, 3, generator=gen)
    teacher = torch.randn(2, 4, 3, 3, generator=gen)
    target = torch.randint(0, 4, (2, 3, 3), generator=gen)
    target[0, 0, :] = 255
    target[1, 2, 1] = 255
    rows_s, rows_t = [], []
    for n in range(2):
        for h in range(3):
            for w in range(3):
                if target[n, h, w] != 255:
                    rows_s.append(student[n, :, h, w])
                    rows_t.append(teacher[n, :, h, w])
    expected = naive_kd(torch.stack(rows_s), torch.stack(rows_t), 4.0)
    loss = KDLoss()(student, teacher, target)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    # Without a target every pixel counts.
    all_rows = naive_kd(student.permute(0, 2, 3, 1).reshape(-1, 4),
                        teacher.permute(0, 2, 3, 1).reshape(-1, 4), 4.0)
    assert KDLoss()(student, teacher).item() == pytest.approx(all_rows, rel=1e-5)
    # A full-resolution target (N, 1, 2H, 2W) is resized by nearest neighbour: pixel (h, w)
    # of the logits takes label (2h, 2w).
    big = target.repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)[:, None]
    assert KDLoss()(student, teacher, big).item() == pytest.approx(expected, rel=1e-5)


def test_ignored_pixels_do_not_matter_and_all_ignored_is_zero():
    gen = torch.Generator().manual_seed(2)
    student = torch.randn(1, 3, 2, 2, generator=gen)
    teacher = torch.randn(1, 3, 2, 2, generator=gen)
    target = torch.tensor([[[0, 255], [2, 255]]])
    loss = KDLoss()(student, teacher, target)
    changed = student.clone()
    changed[0, :, :, 1] += 10.0
    assert KDLoss()(changed, teacher, target).item() == pytest.approx(loss.item(), rel=1e-6)
    assert KDLoss()(student, teacher, torch.full_like(target, 255)).item() == 0.0


def test_gradient_reaches_student_only():
    gen = torch.Generator().manual_seed(3)
    student = torch.randn(4, 6, generator=gen, requires_grad=True)
    teacher = torch.randn(4, 6, generator=gen, requires_grad=True)
    KDLoss()(student, teacher).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_registered():
    from fdkd_mm.registry import MODELS
    loss = MODELS.build(dict(type='KDLoss', temperature=2.0))
    assert isinstance(loss, KDLoss) and loss.temperature == 2.0
