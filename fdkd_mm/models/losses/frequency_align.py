"""Band alignment losses of FD-CMKD (Eq. 7-9 of the method, docs/method.md)."""
from typing import Literal

import torch
from torch import Tensor, nn

from fdkd_mm.registry import MODELS


def standardize(x: Tensor, eps: float = 1e-8, centre: bool = True) -> Tensor:
    """Scale standardization ``Std(v) = (v - mean(v)) / ||v - mean(v)||_2`` along dim 1.

    Applied per sample for (N, D) and per pixel for (N, D, H, W). The norm is clamped at
    ``eps`` (1e-8, as the authors' script) so an all-constant vector maps to zeros instead of
    NaN.

    Args:
        x: Features of shape (N, D, ...).
        eps: Lower bound of the norm.
        centre: Subtract the mean; skip only for inputs whose dim-1 mean is already zero.

    Returns:
        Tensor shaped like ``x``.
    """
    centred = x - x.mean(dim=1, keepdim=True) if centre else x
    return centred / torch.linalg.vector_norm(centred, dim=1, keepdim=True).clamp_min(eps)


def signed_log(x: Tensor) -> Tensor:
    """``σ(x) = sign(x) * log(1 + |x|)``: compresses large deviations (weak consistency)."""
    return torch.sign(x) * torch.log1p(x.abs())


class _StdAlignMSE(torch.autograd.Function):
    """``sum((f(Std(s)) - f(Std(t)))^2)`` with ``f`` = identity or σ, in few passes.

    The autograd graph of ``standardize`` + ``signed_log`` + MSE keeps about a dozen full-size
    temporaries and runs ~30 elementwise kernels (forward + backward) per band; on dense maps
    that memory traffic is most of the loss cost (tools/analysis/benchmark_distill.py). Here the
    forward works in place on two buffers and the backward is written out:
    with ``u = c / max(||c||, eps)``, ``c = s - mean(s)`` and ``g_u`` the gradient w.r.t. ``u``,
    ``g_c = (g_u - u <u, g_u>) / ||c||`` (no projection term where the norm is clamped) and
    ``g_s = g_c - mean(g_c)``. σ'(u) = 1 / (1 + |u|). The teacher side gets no gradient.
    """

    @staticmethod
    def forward(ctx, student: Tensor, teacher: Tensor, log: bool, eps: float,
                centre: bool) -> Tensor:
        def unit(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
            if centre:
                x = x - x.mean(dim=1, keepdim=True)
            # Not linalg.vector_norm: over dim 1 of a contiguous (N, D, H, W) map it is a
            # strided reduction ~8x slower on CPU than squaring and summing (no autograd
            # through this norm, so its undefined gradient at 0 does not matter here).
            norm = x.square().sum(dim=1, keepdim=True).sqrt_()
            inv = norm.clamp_min(eps).reciprocal_()
            # In place only on our own buffer: the caller's tensor stays untouched.
            return (x.mul_(inv) if centre else x * inv), inv, norm >= eps

        u_s, inv_s, unclamped = unit(student)
        u_t, _, _ = unit(teacher)
        if log:
            grad_scale = u_s.abs()
            diff = torch.log1p(grad_scale).copysign_(u_s)
            diff.sub_(torch.log1p(u_t.abs()).copysign_(u_t))
            grad_scale.add_(1.0)  # 1 / σ'(u_s), kept for the backward
        else:
            grad_scale = None
            diff = torch.sub(u_s, u_t, out=u_t)  # u_t is not needed any more
        ctx.save_for_backward(u_s, inv_s, unclamped, diff, grad_scale)
        ctx.centre = centre
        return torch.linalg.vector_norm(diff).square()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output: Tensor):
        u_s, inv_s, unclamped, diff, grad_scale = ctx.saved_tensors
        grad = diff * (2.0 * grad_output)
        if grad_scale is not None:
            grad.div_(grad_scale)
        # Projection onto the tangent of the unit sphere; none where the norm was clamped.
        radial = torch.linalg.vecdot(u_s, grad, dim=1).unsqueeze(1).mul_(unclamped)
        grad.addcmul_(u_s, radial, value=-1.0).mul_(inv_s)
        if ctx.centre:
            grad.sub_(grad.mean(dim=1, keepdim=True))
        return grad, None, None, None, None


def standardized_mse(student: Tensor, teacher: Tensor, log: bool = False, eps: float = 1e-8,
                     centre: bool = True) -> Tensor:
    """``mean((f(Std(student)) - f(Std(teacher.detach())))^2)``, f = σ if ``log`` else identity.

    Same value and student gradient as composing :func:`standardize`, :func:`signed_log` and
    an MSE, at a fraction of the memory traffic (see :class:`_StdAlignMSE`).

    Args:
        student: (N, D, ...) float32 features.
        teacher: Features of the same shape (no gradient).
        log: Apply σ after standardization.
        eps: Norm clamp of ``Std``.
        centre: Subtract the mean over dim 1 first. ``False`` is exact only for inputs whose
            dim-1 mean is already zero (e.g. frequency bands without the DC bin).

    Returns:
        Scalar loss.
    """
    with torch.autocast(device_type=student.device.type, enabled=False):
        total = _StdAlignMSE.apply(student, teacher.detach(), log, eps, centre)
    return total / student.numel()


@MODELS.register_module()
class FrequencyAlignLoss(nn.Module):
    """MSE between student and teacher band features, optionally standardized and sign-logged.

    ``mode='mse'`` is the strong low-band consistency ``MSE(Std(S), Std(T))``; ``mode='log_mse'``
    is the weak high-band consistency ``MSE(σ(Std(S)), σ(Std(T)))``. The MSE is the mean over all
    elements. The teacher side is detached: only the student (and what produced its features)
    receives gradients.

    Args:
        mode: ``'mse'`` or ``'log_mse'``.
        standardize: Apply ``Std`` first (the "Scale" switch of the ablation). Defaults to True.
        loss_weight: Multiplier of the loss (λ1 / λ2 of Eq. 11). Defaults to 1.0.
        eps: Norm clamp of ``Std``.
        centre: Subtract the dim-1 mean inside ``Std``. The FD-CMKD loss turns it off for
            frequency bands, whose mean is zero by construction (no DC bin, Eq. 7: ``Std``
            reduces to L2 normalization there); that saves two passes per tensor.
        fused: Compute the standardized loss with the hand-written backward of
            :func:`standardized_mse` (same values, ~2x faster on dense maps). ``False`` uses
            plain autograd (e.g. for double backward). Defaults to True.
    """

    def __init__(self, mode: Literal['mse', 'log_mse'] = 'mse', standardize: bool = True,
                 loss_weight: float = 1.0, eps: float = 1e-8, centre: bool = True,
                 fused: bool = True) -> None:
        super().__init__()
        if mode not in ('mse', 'log_mse'):
            raise ValueError(f"mode must be 'mse' or 'log_mse', got {mode!r}")
        self.mode = mode
        self.standardize = standardize
        self.loss_weight = loss_weight
        self.eps = eps
        self.centre = centre
        self.fused = fused

    def extra_repr(self) -> str:
        return (f'mode={self.mode!r}, standardize={self.standardize}, '
                f'loss_weight={self.loss_weight}, centre={self.centre}, fused={self.fused}')

    def forward(self, student: Tensor, teacher: Tensor) -> Tensor:
        """Compute the weighted loss.

        Args:
            student: Student band features (N, D) or (N, D, H, W).
            teacher: Teacher band features of the same shape.

        Returns:
            Scalar loss.
        """
        if student.shape != teacher.shape:
            raise ValueError(f'student features {tuple(student.shape)} and teacher features '
                             f'{tuple(teacher.shape)} must have the same shape')
        # Reductions in half precision lose the small band differences: compute in float32.
        student, teacher = student.float(), teacher.detach().float()
        if self.standardize and self.fused:
            return self.loss_weight * standardized_mse(
                student, teacher, log=self.mode == 'log_mse', eps=self.eps, centre=self.centre)
        if self.standardize:
            student, teacher = (standardize(student, self.eps, self.centre),
                                standardize(teacher, self.eps, self.centre))
        if self.mode == 'log_mse':
            student, teacher = signed_log(student), signed_log(teacher)
        return self.loss_weight * torch.mean((student - teacher) ** 2)
