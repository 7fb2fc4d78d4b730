"""Band alignment losses of FD-CMKD (METHOD.md, Eq. 7-9)."""
from typing import Literal

import torch
from torch import Tensor, nn

from fdkd_mm.registry import MODELS


def standardize(x: Tensor, eps: float = 1e-6) -> Tensor:
    """Scale standardization ``Std(v) = (v - mean(v)) / ||v - mean(v)||_2`` along dim 1.

    Applied per sample for (N, D) and per pixel for (N, D, H, W). The norm is clamped at
    ``eps`` so an all-constant vector maps to zeros instead of NaN.

    Args:
        x: Features of shape (N, D, ...).
        eps: Lower bound of the norm.

    Returns:
        Tensor shaped like ``x``.
    """
    centred = x - x.mean(dim=1, keepdim=True)
    return centred / torch.linalg.vector_norm(centred, dim=1, keepdim=True).clamp_min(eps)


def signed_log(x: Tensor) -> Tensor:
    """``σ(x) = sign(x) * log(1 + |x|)``: compresses large deviations (weak consistency)."""
    return torch.sign(x) * torch.log1p(x.abs())


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
    """

    def __init__(self, mode: Literal['mse', 'log_mse'] = 'mse', standardize: bool = True,
                 loss_weight: float = 1.0, eps: float = 1e-6) -> None:
        super().__init__()
        if mode not in ('mse', 'log_mse'):
            raise ValueError(f"mode must be 'mse' or 'log_mse', got {mode!r}")
        self.mode = mode
        self.standardize = standardize
        self.loss_weight = loss_weight
        self.eps = eps

    def extra_repr(self) -> str:
        return (f'mode={self.mode!r}, standardize={self.standardize}, '
                f'loss_weight={self.loss_weight}')

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
        if self.standardize:
            student, teacher = standardize(student, self.eps), standardize(teacher, self.eps)
        if self.mode == 'log_mse':
            student, teacher = signed_log(student), signed_log(teacher)
        return self.loss_weight * torch.mean((student - teacher) ** 2)
