"""Helpers the logit losses share (KD, DKD, NKD, DML, C2KD, the unpaired losses).

Logits of classification (N, C) and dense prediction (N, C, H, W) are flattened to one row per
sample / pixel (:func:`logits_to_rows`), compared row by row (:func:`kl_rows`) and reduced over
the rows that count (:func:`weighted_mean`).
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from fdkd_mm.models.resize import match_grid, resize_labels


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
        ``(student_rows, teacher_rows, target_rows, weights)``: rows of shape (M, C) in float32
        (float64 logits stay float64, so losses can be checked in double precision),
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
    if student_rows.dtype == torch.float64 and teacher_rows.dtype == torch.float64:
        return student_rows, teacher_rows, target_rows, weights.double()
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
