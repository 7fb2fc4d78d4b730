"""Deep mutual learning (DML).

Paper: Y. Zhang, T. Xiang, T. M. Hospedales, H. Lu, "Deep Mutual Learning", CVPR 2018
(arXiv 1706.00384).

Two networks are trained together; each minimises its own cross-entropy plus the KL divergence
from its peer's prediction to its own, with the peer's prediction treated as a constant::

    L_student = CE(zˢ, y) + τ² · 1/N Σ_n KL(σ(zᵀ_n / τ) ‖ σ(zˢ_n / τ))      zᵀ detached
    L_teacher = CE(zᵀ, y) + τ² · 1/N Σ_n KL(σ(zˢ_n / τ) ‖ σ(zᵀ_n / τ))      zˢ detached

Here the "teacher" is the other modality's network and is *trainable* (it is not frozen and
must run in train mode with gradients). This module returns only the two KL terms; the CE
terms come from each network's own head / ``loss()``.

Defaults: τ = 1 (the paper uses plain softmax, so τ² = 1), loss_weight = 1 for both terms.
The paper's algorithm updates the two networks one after the other within an iteration
(recomputing the peer's prediction in between); here both objectives are summed and taken in
one joint optimizer step, which gives each network the same gradient as its own objective
because each KL term sees its peer as a constant.

Dense logits (N, C, H, W): every pixel is a sample; an optional target only marks
``ignore_index`` pixels (see :mod:`fdkd_mm.models.losses.kd`).
"""
from typing import Optional

from torch import Tensor, nn

from fdkd_mm.registry import MODELS

from .utils import kl_rows, logits_to_rows, weighted_mean


@MODELS.register_module()
class DMLLoss(nn.Module):
    """Both KL terms of deep mutual learning, each with the peer detached.

    Args:
        temperature: Softmax temperature τ. Defaults to 1.0.
        loss_weight: Multiplier of both terms. Defaults to 1.0.
        ignore_index: Label of ignored pixels for dense logits. Defaults to 255.
    """

    def __init__(self, temperature: float = 1.0, loss_weight: float = 1.0,
                 ignore_index: int = 255) -> None:
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index

    def forward(self, student_logits: Tensor, teacher_logits: Tensor,
                target: Optional[Tensor] = None) -> dict[str, Tensor]:
        """Compute the two mutual KL terms.

        Args:
            student_logits: (N, C) or (N, C, H, W) of the student network.
            teacher_logits: Same shape, of the peer ("teacher") network; not detached, it
                receives gradients from ``loss_kl_teacher``.
            target: Optional dense labels, used only to skip ``ignore_index`` pixels.

        Returns:
            ``{'loss_kl_student': KL(p_teacher ‖ p_student), 'loss_kl_teacher':
            KL(p_student ‖ p_teacher)}``; the first trains only the student, the second only
            the teacher.
        """
        student_rows, teacher_rows, _, weights = logits_to_rows(
            student_logits, teacher_logits, target, self.ignore_index)
        scale = self.loss_weight * self.temperature**2
        kl_student = kl_rows(student_rows, teacher_rows.detach(), self.temperature)
        kl_teacher = kl_rows(teacher_rows, student_rows.detach(), self.temperature)
        return dict(loss_kl_student=scale * weighted_mean(kl_student, weights),
                    loss_kl_teacher=scale * weighted_mean(kl_teacher, weights))

    def extra_repr(self) -> str:
        return f'temperature={self.temperature}, loss_weight={self.loss_weight}'
