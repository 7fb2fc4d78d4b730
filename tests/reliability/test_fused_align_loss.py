"""The fused standardized alignment loss equals the plain autograd composition.

``FrequencyAlignLoss(fused=True)`` (the default, hand-written backward) must give the value
and student gradient of ``MSE(f(Std(S)), f(Std(T)))`` built from ``standardize`` and
``signed_log`` with autograd, for vectors and dense maps, with and without centring.
"""
import pytest
import torch

from fdkd_mm.models.decouplers import FrequencyDecoupler
from fdkd_mm.models.losses import FrequencyAlignLoss, signed_log, standardize
from fdkd_mm.models.losses.frequency_align import standardized_mse


def reference(student, teacher, log, centre=True):
    s, t = standardize(student, centre=centre), standardize(teacher.detach(), centre=centre)
    if log:
        s, t = signed_log(s), signed_log(t)
    return ((s - t) ** 2).mean()


@pytest.mark.parametrize('shape', [(4, 16), (2, 12, 3, 5)])
@pytest.mark.parametrize('log', [False, True])
def test_value_and_gradient_match_autograd(shape, log):
    gen = torch.Generator().manual_seed(0)
    student = torch.randn(shape, generator=gen, dtype=torch.float64, requires_grad=True)
    teacher = torch.randn(shape, generator=gen, dtype=torch.float64)
    fused = standardized_mse(student, teacher, log=log)
    plain = reference(student, teacher, log)
    torch.testing.assert_close(fused, plain)
    torch.testing.assert_close(torch.autograd.grad(fused, student)[0],
                               torch.autograd.grad(plain, student)[0])
    assert torch.autograd.gradcheck(lambda s: standardized_mse(s, teacher, log=log), (student,))


@pytest.mark.parametrize('mode', ['mse', 'log_mse'])
def test_uncentred_std_is_exact_on_frequency_bands(mode):
    """Bands have no DC bin: skipping the centring changes neither the loss nor the gradient
    w.r.t. the decoupled feature (the band filter's backward removes the DC component that the
    centring's backward would have removed)."""
    decoupler = FrequencyDecoupler()
    feature = torch.randn(2, 32, 4, 5, requires_grad=True)
    t_low, t_high = decoupler(torch.randn(2, 32, 4, 5))
    index = 0 if mode == 'mse' else 1
    values, grads = [], []
    for loss in (FrequencyAlignLoss(mode, centre=False), FrequencyAlignLoss(mode, fused=False)):
        value = loss(decoupler(feature)[index], (t_low, t_high)[index])
        values.append(value)
        grads.append(torch.autograd.grad(value, feature)[0])
    torch.testing.assert_close(values[0], values[1], atol=1e-7, rtol=1e-5)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-8, rtol=1e-4)


def test_teacher_gets_no_gradient_and_input_is_untouched():
    student = torch.randn(3, 8, requires_grad=True)
    teacher = torch.randn(3, 8, requires_grad=True)
    before = student.detach().clone()
    FrequencyAlignLoss('log_mse', centre=False)(student, teacher).backward()
    assert teacher.grad is None and student.grad.abs().sum() > 0
    torch.testing.assert_close(student.detach(), before)
