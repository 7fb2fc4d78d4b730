"""Normalized knowledge distillation (NKD).

Paper: Z. Yang, A. Zeng, Z. Li, T. Zhang, C. Yuan, Y. Li, "From Knowledge Distillation to
Self-Knowledge Distillation: A Unified Approach with Normalized Loss and Customized Soft
Labels", ICCV 2023 (arXiv 2303.13005). Official code: ``yzd-v/cls_KD`` (``NKDLoss``).

Formula (t target class, N rows, Ŝ and T̂ the softmax over the C − 1 *non-target* logits at
temperature τ, i.e. the non-target distribution renormalised to sum to 1)::

    L = − 1/N Σ_n σ(zᵀ_n)_t · log σ(zˢ_n)_t  −  γ · τ² · 1/N Σ_n Σ_{k≠t} T̂_nk · log Ŝ_nk

The first term is the target-class term at temperature 1 with the teacher's target probability
as a soft weight; the second matches the normalised non-target distributions.

Defaults: τ = 1, γ = 1.5, loss_weight = 1.

As in the official code the target is *removed* (the C − 1 other logits are gathered), not
masked with a large negative number, and the teacher's target probability is detached. The
official code also accepts one-hot / soft labels (taking their arg-max); here ``target`` is
class ids.

Dense logits (N, C, H, W) with a target (N, H, W): every valid pixel is a sample and the means
run over the pixels whose label is not ``ignore_index`` (255); the target is resized (nearest)
to the logits' size. The teacher logits are detached.
"""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.registry import MODELS

from .utils import logits_to_rows, weighted_mean


def non_target_indices(target: Tensor, num_classes: int) -> Tensor:
    """Class ids other than each row's target, in increasing order.

    Args:
        target: (M,) class ids.
        num_classes: C.

    Returns:
        (M, C − 1) long tensor; row m lists 0..C−1 without ``target[m]``.
    """
    others = torch.arange(num_classes - 1, device=target.device).expand(target.shape[0], -1)
    # Indices at or past the target shift up by one, skipping it.
    return others + (others >= target[:, None]).long()


@MODELS.register_module()
class NKDLoss(nn.Module):
    """NKD: soft-weighted target term plus normalised non-target distillation.

    Args:
        temperature: Temperature τ of the non-target term. Defaults to 1.0.
        gamma: Weight γ of the non-target term. Defaults to 1.5.
        loss_weight: Multiplier of the loss. Defaults to 1.0.
        ignore_index: Label of ignored pixels for dense logits. Defaults to 255.
    """

    def __init__(self, temperature: float = 1.0, gamma: float = 1.5, loss_weight: float = 1.0,
                 ignore_index: int = 255) -> None:
        super().__init__()
        self.temperature = temperature
        self.gamma = gamma
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index

    def forward(self, student_logits: Tensor, teacher_logits: Tensor, target: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            student_logits: (N, C) or (N, C, H, W).
            teacher_logits: Same shape; detached here.
            target: Class ids, (N,) or dense (N, H, W) / (N, 1, H, W).

        Returns:
            Scalar loss.
        """
        student_rows, teacher_rows, target_rows, weights = logits_to_rows(
            student_logits, teacher_logits.detach(), target, self.ignore_index)
        target_col = target_rows[:, None]
        log_p_student_t = F.log_softmax(student_rows, dim=1).gather(1, target_col)[:, 0]
        p_teacher_t = F.softmax(teacher_rows, dim=1).gather(1, target_col)[:, 0]
        target_term = -p_teacher_t * log_p_student_t

        others = non_target_indices(target_rows, student_rows.shape[1])
        tau = self.temperature
        log_s_hat = F.log_softmax(student_rows.gather(1, others) / tau, dim=1)
        t_hat = F.softmax(teacher_rows.gather(1, others) / tau, dim=1)
        non_target_term = -self.gamma * tau**2 * (t_hat * log_s_hat).sum(dim=1)

        return self.loss_weight * weighted_mean(target_term + non_target_term, weights)

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature}, gamma={self.gamma}, '
                f'loss_weight={self.loss_weight}')
