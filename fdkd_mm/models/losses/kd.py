"""Vanilla knowledge distillation (KD).

Paper: G. Hinton, O. Vinyals, J. Dean, "Distilling the Knowledge in a Neural Network",
NIPS 2014 Deep Learning Workshop (arXiv 1503.02531).

Formula (z logits, σ softmax, τ temperature, N rows)::

    L = τ² · 1/N · Σ_n KL(σ(zᵀ_n / τ) ‖ σ(zˢ_n / τ))

The KL is summed over classes and averaged over the batch ("batchmean"), as mdistiller's
``kd_loss`` does; the τ² factor keeps the gradient scale independent of τ.

Defaults: τ = 4, loss_weight = 1.

Dense logits (N, C, H, W): every pixel is one row (a sample), and the mean runs over the valid
pixels. An optional ``target`` (N, H, W) or (N, 1, H, W) only marks pixels to ignore
(``ignore_index``, 255 by default); it is resized (nearest) to the logits' size when they differ,
since mmseg decode heads predict at a fraction of the label resolution. Teacher logits at
another resolution than the student's (another output stride or decode head) are resampled
bilinearly onto the student's grid first. For (N, C) logits the
target is not used: every row counts (a class id 255 is a valid class in, e.g., VGGSound).

The teacher logits are detached: the teacher is frozen in KD.

This file also holds :func:`logits_to_rows` and :func:`kl_rows`, which the other logit losses
(DKD, NKD, DML) share.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.models.resize import match_grid, resize_labels
from fdkd_mm.registry import MODELS


def logits_to_rows(student_logits: Tensor, teacher_logits: Tensor,
                   target: Optional[Tensor] = None,
                   ignore_index: int = 255) -> tuple[Tensor, Tensor, Optional[Tensor], Tensor]:
    """Flatten classification or dense logits to one row per sample / pixel.

    Args:
        student_logits: (N, C) or (N, C, H, W).
        teacher_logits: Same shape as ``student_logits``; dense logits may be at another
            (H', W'), resampled onto the student's grid.
        target: Optional class ids, (N,) for (N, C) logits, (N, H, W) or (N, 1, H, W) for dense
            logits (resized with nearest-neighbour interpolation to (H, W) if needed).
        ignore_index: Dense label value of pixels that do not count.

    Returns:
        ``(student_rows, teacher_rows, target_rows, weights)``: rows of shape (M, C) in float32,
        target rows (M,) with ignored entries replaced by class 0 (so that gather / one-hot stay
        in range; their weight is 0), or None when no target was given, and weights (M,) in
        {0, 1}. Reduce with :func:`weighted_mean`.
    """
    teacher_logits = match_grid(teacher_logits, student_logits)
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f'student logits {tuple(student_logits.shape)} and teacher logits '
                         f'{tuple(teacher_logits.shape)} must have the same shape (same batch '
                         'and classes; dense maps may differ only in resolution)')
    if student_logits.dim() == 2:
        student_rows, teacher_rows = student_logits, teacher_logits
        weights = student_logits.new_ones(student_logits.shape[0], dtype=torch.float32)
        target_rows = None if target is None else target.reshape(-1).long()
    elif student_logits.dim() == 4:
        num_classes = student_logits.shape[1]
        # (N, C, H, W) -> (N*H*W, C): each pixel becomes a sample.
        student_rows = student_logits.permute(0, 2, 3, 1).reshape(-1, num_classes)
        teacher_rows = teacher_logits.permute(0, 2, 3, 1).reshape(-1, num_classes)
        if target is None:
            weights = student_rows.new_ones(student_rows.shape[0], dtype=torch.float32)
            target_rows = None
        else:
            target = resize_labels(target, student_logits.shape[-2:])
            target_rows = target.reshape(-1).long()
            valid = target_rows != ignore_index
            weights = valid.float()
            # Weighting instead of boolean indexing keeps shapes static (no host sync).
            target_rows = torch.where(valid, target_rows, torch.zeros_like(target_rows))
    else:
        raise ValueError(f'logits must be (N, C) or (N, C, H, W), '
                         f'got {tuple(student_logits.shape)}')
    return student_rows.float(), teacher_rows.float(), target_rows, weights


def weighted_mean(values: Tensor, weights: Tensor) -> Tensor:
    """Mean of per-row ``values`` over rows of weight 1; 0 when no row counts."""
    return (values * weights).sum() / weights.sum().clamp_min(1.0)


def kl_rows(student_rows: Tensor, teacher_rows: Tensor, temperature: float = 1.0) -> Tensor:
    """Per-row ``KL(σ(teacher / τ) ‖ σ(student / τ))``, summed over classes.

    Args:
        student_rows: (M, C) logits whose distribution is pulled towards the teacher's.
        teacher_rows: (M, C) logits of the target distribution (detach them beforehand when
            they must not receive gradients).
        temperature: Softmax temperature τ.

    Returns:
        (M,) KL divergences (not multiplied by τ²).
    """
    log_p_student = F.log_softmax(student_rows / temperature, dim=1)
    log_p_teacher = F.log_softmax(teacher_rows / temperature, dim=1)
    return (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=1)


@MODELS.register_module()
class KDLoss(nn.Module):
    """Hinton KD: ``τ² · KL(σ(zᵀ/τ) ‖ σ(zˢ/τ))`` averaged over samples (or valid pixels).

    Args:
        temperature: Softmax temperature τ. Defaults to 4.0.
        loss_weight: Multiplier of the loss. Defaults to 1.0.
        ignore_index: Label of ignored pixels for dense logits. Defaults to 255.
    """

    def __init__(self, temperature: float = 4.0, loss_weight: float = 1.0,
                 ignore_index: int = 255) -> None:
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index

    def forward(self, student_logits: Tensor, teacher_logits: Tensor,
                target: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            student_logits: (N, C) or (N, C, H, W).
            teacher_logits: Same shape; detached here.
            target: Optional dense labels, used only to skip ``ignore_index`` pixels.

        Returns:
            Scalar loss.
        """
        student_rows, teacher_rows, _, weights = logits_to_rows(
            student_logits, teacher_logits.detach(), target, self.ignore_index)
        kl = kl_rows(student_rows, teacher_rows, self.temperature)
        return self.loss_weight * self.temperature**2 * weighted_mean(kl, weights)

    def extra_repr(self) -> str:
        return f'temperature={self.temperature}, loss_weight={self.loss_weight}'
