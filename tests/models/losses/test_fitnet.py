"""FitNetLoss ("Feat"): plain element-mean MSE, teacher detached."""
import pytest
import torch

from fdkd_mm.models.losses.fitnet import FitNetLoss


def test_hand_computed():
    student = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    teacher = torch.tensor([[0.0, 2.0], [1.0, 1.0]])
    # differences 1, 0, 2, 3 -> (1 + 0 + 4 + 9) / 4 = 3.5
    assert FitNetLoss()(student, teacher).item() == pytest.approx(3.5)
    assert FitNetLoss(loss_weight=2.0)(student, teacher).item() == pytest.approx(7.0)


def test_dense_mean_over_all_elements():
    gen = torch.Generator().manual_seed(0)
    student = torch.randn(2, 3, 2, 2, generator=gen)
    teacher = torch.randn(2, 3, 2, 2, generator=gen)
    values = [(a - b) ** 2 for a, b in zip(student.flatten().tolist(), teacher.flatten().tolist())]
    assert FitNetLoss()(student, teacher).item() == pytest.approx(sum(values) / 24, rel=1e-6)


def test_gradient_and_shape_check():
    student = torch.randn(3, 4, requires_grad=True)
    teacher = torch.randn(3, 4, requires_grad=True)
    FitNetLoss()(student, teacher).backward()
    assert student.grad.abs().sum() > 0 and teacher.grad is None
    with pytest.raises(ValueError, match='connector'):
        FitNetLoss()(torch.zeros(3, 5), torch.zeros(3, 4))
