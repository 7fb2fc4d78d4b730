"""Multi-level logit distillation (MLLD): instance-, batch- and class-level alignment.

Paper: Y. Jin, J. Wang, D. Lin, "Multi-Level Logit Distillation", CVPR 2023. The default
follows MST-Distill's ``KD_methods/MLLD.py`` (Gray-OREO/MST-Distill, the CMKD benchmark whose
numbers it produced).

Formula (z the logits of the M rows that count, P = σ(zˢ / τ), Q = σ(zᵗ / τ), K classes,
temperatures 𝒯 = (2, 3, 4, 5, 6))::

    L_ins(τ) = τ² · 1/M Σ_m KL(Q_m ‖ P_m)                                  instance level
    L_bc(τ)  = 1/M² Σ_ab ((P Pᵀ)_ab − (Q Qᵀ)_ab)²                         batch level (M×M Gram)
    L_cc(τ)  = 1/K² Σ_kl ((Pᵀ P)_kl − (Qᵀ Q)_kl)²                         class level (K×K)
    L        = 1/3 · 1/|𝒯| Σ_τ (L_ins(τ) + L_bc(τ) + L_cc(τ))

``reduction='paper'`` is the authors' normalisation instead (their ``bc_loss`` / ``cc_loss``
divide the summed squares by the batch size and by the number of classes, and the terms of all
temperatures are summed, not averaged):

    L_bc(τ) = 1/M Σ_ab (…)²,   L_cc(τ) = 1/K Σ_kl (…)²,   L = Σ_τ (L_ins + L_bc + L_cc)

The authors' training also feeds two augmented views and masks the instance term by the
teacher's confidence; MST-Distill, whose numbers these cells reproduce, does neither, nor do we.

Dense logits (N, K, H, W), our extension: every valid pixel (label not 255, when a target is
given) is a row; the class correlations are averaged over the rows, PᵀP / M and QᵀQ / M (a sum
over the tens of thousands of pixels of a batch would grow the class term with M² and drown
the other two); the M×M Gram difference is computed through K×K products (‖PPᵀ − QQᵀ‖² =
‖PᵀP‖² − 2‖PᵀQ‖² + ‖QᵀQ‖²), so memory stays O(K²) however many pixels there are. Defaults: temperatures
(2, 3, 4, 5, 6), loss_weight 1. The teacher's logits are detached.
"""
from collections.abc import Sequence
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.registry import MODELS

from .utils import logits_to_rows, weighted_mean

#: Rows above which the batch-level term goes through K×K products instead of the M×M Gram.
GRAM_ROWS_LIMIT = 2048


def gram_difference_sq(p: Tensor, q: Tensor) -> Tensor:
    """Σ_ab ((P Pᵀ)_ab − (Q Qᵀ)_ab)² for (M, K) rows, in O(K²) memory when M is large."""
    if len(p) <= GRAM_ROWS_LIMIT:
        return (p @ p.t() - q @ q.t()).pow(2).sum()
    pp, qq, pq = p.t() @ p, q.t() @ q, p.t() @ q
    return pp.pow(2).sum() - 2 * pq.pow(2).sum() + qq.pow(2).sum()


@MODELS.register_module()
class MLLDLoss(nn.Module):
    """MLLD: KL, batch-Gram and class-correlation alignment over several temperatures.

    Args:
        temperatures: The temperatures τ. Defaults to (2, 3, 4, 5, 6).
        reduction: ``'mst'`` (MST-Distill's code: mean squared differences, average over
            temperatures and the three levels) or ``'paper'`` (the authors': sums divided by the
            batch size / number of classes, summed over temperatures). Defaults to ``'mst'``.
        loss_weight: Multiplier of the loss. Defaults to 1.0.
        ignore_index: Label of ignored pixels for dense logits. Defaults to 255.
    """

    def __init__(self, temperatures: Sequence[float] = (2.0, 3.0, 4.0, 5.0, 6.0),
                 reduction: str = 'mst', loss_weight: float = 1.0,
                 ignore_index: int = 255) -> None:
        super().__init__()
        if reduction not in ('mst', 'paper'):
            raise ValueError(f"MLLDLoss reduction must be 'mst' or 'paper', got {reduction!r}")
        if not temperatures:
            raise ValueError('MLLDLoss needs at least one temperature')
        self.temperatures = tuple(float(t) for t in temperatures)
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index

    def forward(self, student_logits: Tensor, teacher_logits: Tensor,
                target: Optional[Tensor] = None) -> dict[str, Tensor]:
        """Compute the three levels.

        Args:
            student_logits: (N, K) or (N, K, H, W).
            teacher_logits: Same shape (dense maps may differ in size); detached here.
            target: Optional labels; for dense logits, pixels labelled ``ignore_index`` are
                left out.

        Returns:
            ``loss_instance``, ``loss_batch``, ``loss_class``: each level's share of L (their
            sum is L), times ``loss_weight``.
        """
        student, teacher, _, weights = logits_to_rows(student_logits, teacher_logits.detach(),
                                                      target, self.ignore_index)
        rows, classes = weights.sum().clamp_min(1.0), student.shape[1]
        # Dense maps: class correlations averaged over the pixels (module docstring).
        per_row = rows if student_logits.dim() == 4 else 1.0
        instance = student.new_zeros(())
        batch = student.new_zeros(())
        klass = student.new_zeros(())
        for tau in self.temperatures:
            log_p = F.log_softmax(student / tau, dim=1)
            log_q = F.log_softmax(teacher / tau, dim=1)
            kl = (log_q.exp() * (log_q - log_p)).sum(dim=1)
            instance = instance + tau**2 * weighted_mean(kl, weights)
            # Rows that do not count become zero rows: they add nothing to either product.
            p, q = log_p.exp() * weights[:, None], log_q.exp() * weights[:, None]
            batch_sq = gram_difference_sq(p, q)
            class_sq = ((p.t() @ p - q.t() @ q) / per_row).pow(2).sum()
            if self.reduction == 'mst':
                batch = batch + batch_sq / rows**2
                klass = klass + class_sq / classes**2
            else:
                batch = batch + batch_sq / rows
                klass = klass + class_sq / classes
        scale = self.loss_weight
        if self.reduction == 'mst':
            scale = scale / (3 * len(self.temperatures))
        return dict(loss_instance=scale * instance, loss_batch=scale * batch,
                    loss_class=scale * klass)

    def extra_repr(self) -> str:
        return (f'temperatures={self.temperatures}, reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')
