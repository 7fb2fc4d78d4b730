"""DKDLoss against hand-computed values, a naive per-sample loop and its warm-up rule."""
import math

import pytest
import torch
from mmengine.logging import MessageHub

from fdkd_mm.models.losses.dkd import DKDLoss


def softmax(values):
    exps = [math.exp(v) for v in values]
    return [e / sum(exps) for e in exps]


def kl(p, q):
    return sum(a * math.log(a / b) for a, b in zip(p, q) if a > 0)


def naive_dkd_sum(student, teacher, target, alpha, beta, tau):
    """Σ_n τ²(α·TCKD_n + β·NCKD_n) with the target class removed for NCKD (not divided)."""
    total = 0.0
    for s_row, t_row, t in zip(student.tolist(), teacher.tolist(), target.tolist()):
        p_s = softmax([v / tau for v in s_row])
        p_t = softmax([v / tau for v in t_row])
        tckd = kl([p_t[t], 1 - p_t[t]], [p_s[t], 1 - p_s[t]])
        others = [c for c in range(len(s_row)) if c != t]
        nckd = kl(softmax([t_row[c] / tau for c in others]),
                  softmax([s_row[c] / tau for c in others]))
        total += tau**2 * (alpha * tckd + beta * nckd)
    return total


def test_hand_computed_three_classes():
    tau = 4.0
    student = torch.zeros(1, 3)                              # p = (1/3, 1/3, 1/3)
    teacher = torch.tensor([[0.0, 0.0, tau * math.log(2)]])  # p ∝ (1, 1, 2) = (1/4, 1/4, 1/2)
    target = torch.tensor([0])
    # TCKD: b_t = (1/4, 3/4), b_s = (1/3, 2/3): 1/4·ln(3/4) + 3/4·ln(9/8)
    tckd = 0.25 * math.log(0.75) + 0.75 * math.log(9 / 8)
    # NCKD over classes (1, 2): teacher (1/3, 2/3), student (1/2, 1/2): 1/3·ln(2/3) + 2/3·ln(4/3)
    nckd = (1 / 3) * math.log(2 / 3) + (2 / 3) * math.log(4 / 3)
    expected = 16 * (1.0 * tckd + 8.0 * nckd)
    loss = DKDLoss(warmup_epochs=0)(student, teacher, target)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_batch_of_three_is_summed_then_divided_by_batch_size():
    gen = torch.Generator().manual_seed(0)
    student, teacher = torch.randn(3, 5, generator=gen) * 2, torch.randn(3, 5, generator=gen) * 2
    target = torch.tensor([0, 2, 4])
    total = naive_dkd_sum(student, teacher, target, 1.0, 8.0, 4.0)
    loss = DKDLoss(warmup_epochs=0)(student, teacher, target)
    # The batch mean (sum / 3), not MMRazor's batch sum (its `reduction` is ignored).
    assert loss.item() == pytest.approx(total / 3, rel=1e-5)
    assert abs(loss.item() - total) > 0.1 * abs(total)
    loss = DKDLoss(alpha=0.5, beta=2.0, temperature=2.0, warmup_epochs=0)(student, teacher, target)
    assert loss.item() == pytest.approx(naive_dkd_sum(student, teacher, target, 0.5, 2.0, 2.0) / 3,
                                        rel=1e-5)


@pytest.fixture
def message_hub():
    """A fresh current MessageHub, dropped afterwards so other tests do not see it."""
    name = f'test_dkd_{id(object())}'
    hub = MessageHub.get_instance(name)
    yield hub
    MessageHub._instance_dict.pop(name, None)


def test_warmup_factor_from_argument_attribute_and_message_hub(message_hub):
    gen = torch.Generator().manual_seed(1)
    student, teacher = torch.randn(2, 4, generator=gen), torch.randn(2, 4, generator=gen)
    target = torch.tensor([1, 3])
    full = DKDLoss(warmup_epochs=0)(student, teacher, target).item()
    loss = DKDLoss()  # 20 warm-up epochs, 0-based epochs: factor (e + 1) / 20
    assert loss(student, teacher, target, epoch=0).item() == pytest.approx(full / 20, rel=1e-5)
    assert loss(student, teacher, target, epoch=9).item() == pytest.approx(full / 2, rel=1e-5)
    assert loss(student, teacher, target, epoch=19).item() == pytest.approx(full, rel=1e-5)
    assert loss(student, teacher, target, epoch=60).item() == pytest.approx(full, rel=1e-5)
    loss.set_epoch(4)
    assert loss(student, teacher, target).item() == pytest.approx(full * 5 / 20, rel=1e-5)
    # The forward argument wins over the attribute.
    assert loss(student, teacher, target, epoch=1).item() == pytest.approx(
        full * 2 / 20, rel=1e-5)
    # Under a runner the RuntimeInfoHook stores the epoch in the current MessageHub.
    message_hub.update_info('epoch', 14)
    assert MessageHub.get_current_instance() is message_hub
    fresh = DKDLoss()
    assert fresh(student, teacher, target).item() == pytest.approx(full * 15 / 20, rel=1e-5)


def test_missing_epoch_raises(message_hub):
    assert message_hub.get_info('epoch') is None
    with pytest.raises(RuntimeError, match='epoch'):
        DKDLoss()(torch.zeros(2, 3), torch.zeros(2, 3), torch.tensor([0, 1]))


def test_dense_valid_pixels_are_the_batch():
    gen = torch.Generator().manual_seed(2)
    student = torch.randn(2, 4, 2, 2, generator=gen)
    teacher = torch.randn(2, 4, 2, 2, generator=gen)
    target = torch.tensor([[[0, 1], [255, 3]], [[2, 255], [255, 1]]])
    rows_s, rows_t, labels = [], [], []
    for n in range(2):
        for h in range(2):
            for w in range(2):
                if target[n, h, w] != 255:
                    rows_s.append(student[n, :, h, w])
                    rows_t.append(teacher[n, :, h, w])
                    labels.append(int(target[n, h, w]))
    total = naive_dkd_sum(torch.stack(rows_s), torch.stack(rows_t), torch.tensor(labels),
                          1.0, 8.0, 4.0)
    loss = DKDLoss(warmup_epochs=0)(student, teacher, target)
    assert loss.item() == pytest.approx(total / len(labels), rel=1e-5)


def test_gradient_reaches_student_only():
    gen = torch.Generator().manual_seed(3)
    student = torch.randn(3, 5, generator=gen, requires_grad=True)
    teacher = torch.randn(3, 5, generator=gen, requires_grad=True)
    DKDLoss(warmup_epochs=0)(student, teacher, torch.tensor([0, 1, 2])).backward()
    assert student.grad is not None and torch.isfinite(student.grad).all()
    assert student.grad.abs().sum() > 0
    assert teacher.grad is None
