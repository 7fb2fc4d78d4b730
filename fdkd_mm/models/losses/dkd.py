"""Decoupled knowledge distillation (DKD).

Paper: B. Zhao, Q. Cui, R. Song, Y. Qiu, J. Liang, "Decoupled Knowledge Distillation",
CVPR 2022 (arXiv 2203.08679). Official code: mdistiller (``dkd_loss``).

Formula (p = σ(z / τ), t the target class, N rows)::

    bᵀ, bˢ = [p_t, 1 − p_t]                                      binary target / non-target split
    TCKD_n = KL(bᵀ_n ‖ bˢ_n)
    NCKD_n = KL(σ(zᵀ_n / τ − 1000·onehot_t) ‖ σ(zˢ_n / τ − 1000·onehot_t))   target removed
    L      = w(epoch) · τ² · 1/N · Σ_n (α · TCKD_n + β · NCKD_n)
    w(e)   = min((e + 1) / warmup_epochs, 1)                        e: 0-based epoch

Both KLs are *summed* over the batch and then divided by N, like mdistiller's
``kl_div(size_average=False) / target.shape[0]``. MMRazor's ``DKDLoss`` gives the same value
for every ``reduction`` it accepts: it passes ``size_average=False`` too, so torch sums over
the batch whatever ``reduction`` says, and the division by N then comes from torch's
``'batchmean'`` (its default) or from MMRazor's own ``/ N`` for ``'sum'``, ``'mean'`` and
``'none'`` (checked numerically against mdistiller's formula). The target is masked out of the
non-target softmax by subtracting 1000 from the tempered logits, exactly as the official code
does, so the target probability underflows to 0.

Defaults: α = 1, β = 8, τ = 4, warm-up over the first 20 epochs, loss_weight = 1.

Warm-up: mdistiller multiplies the loss by ``min(epoch / 20, 1)`` with 1-based epochs, so the
first epoch gets 1/20. MMEngine counts epochs from 0 (``runner.epoch``), hence ``e + 1`` above.
The epoch is taken, in order, from the ``epoch`` argument of :meth:`DKDLoss.forward`, the
``epoch`` attribute (set it with :meth:`DKDLoss.set_epoch`, e.g. from a hook's
``before_train_epoch(runner)`` or from the distiller), or MMEngine's current ``MessageHub``
(its ``RuntimeInfoHook``, a default hook, records ``'epoch'`` before every training epoch).
If none is available the loss raises rather than silently staying at the first epoch's weight.
Pass ``warmup_epochs=0`` to disable the warm-up.

Dense logits (N, C, H, W) with a target (N, H, W): every valid pixel is a sample, N becomes
the number of pixels whose label is not ``ignore_index`` (255); the target is resized
(nearest) to the logits' size. The teacher logits are detached.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from torch import Tensor, nn

from fdkd_mm.registry import MODELS

from .utils import logits_to_rows, weighted_mean


@MODELS.register_module()
class DKDLoss(nn.Module):
    """Decoupled KD: target-class (TCKD) and non-target-class (NCKD) terms, linearly warmed up.

    Args:
        alpha: Weight α of TCKD. Defaults to 1.0.
        beta: Weight β of NCKD. Defaults to 8.0.
        temperature: Softmax temperature τ. Defaults to 4.0.
        warmup_epochs: Epochs of linear warm-up of the whole loss; 0 disables it.
            Defaults to 20.
        loss_weight: Multiplier of the loss. Defaults to 1.0.
        ignore_index: Label of ignored pixels for dense logits. Defaults to 255.
    """

    def __init__(self, alpha: float = 1.0, beta: float = 8.0, temperature: float = 4.0,
                 warmup_epochs: int = 20, loss_weight: float = 1.0,
                 ignore_index: int = 255) -> None:
        super().__init__()
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature
        self.warmup_epochs = warmup_epochs
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self.epoch: Optional[int] = None

    def set_epoch(self, epoch: int) -> None:
        """Record the current 0-based training epoch (what ``runner.epoch`` holds)."""
        self.epoch = int(epoch)

    def warmup_factor(self, epoch: Optional[int] = None) -> float:
        """Return ``min((epoch + 1) / warmup_epochs, 1)`` for the resolved epoch.

        Args:
            epoch: 0-based epoch overriding the attribute and the message hub.

        Returns:
            The factor in (0, 1].
        """
        if self.warmup_epochs <= 0:
            return 1.0
        if epoch is None:
            epoch = self.epoch
        if epoch is None:
            epoch = MessageHub.get_current_instance().get_info('epoch')
        if epoch is None:
            raise RuntimeError(
                'DKDLoss needs the current epoch for its warm-up: pass `epoch=` to forward, '
                'call `set_epoch()`, run under an MMEngine Runner (its RuntimeInfoHook records '
                "the epoch in the MessageHub), or set `warmup_epochs=0`.")
        return min((int(epoch) + 1) / self.warmup_epochs, 1.0)

    def forward(self, student_logits: Tensor, teacher_logits: Tensor, target: Tensor,
                epoch: Optional[int] = None) -> Tensor:
        """Compute the loss.

        Args:
            student_logits: (N, C) or (N, C, H, W).
            teacher_logits: Same shape; detached here.
            target: Class ids, (N,) or dense (N, H, W) / (N, 1, H, W).
            epoch: Optional 0-based epoch for the warm-up (see the module docstring).

        Returns:
            Scalar loss.
        """
        student_rows, teacher_rows, target_rows, weights = logits_to_rows(
            student_logits, teacher_logits.detach(), target, self.ignore_index)
        tau = self.temperature
        gt_mask = torch.zeros_like(student_rows, dtype=torch.bool).scatter_(
            1, target_rows[:, None], True)

        # TCKD on the binary [p_t, 1 - p_t] split. The student's log-probabilities come from
        # log_softmax + logsumexp rather than log(sum of probabilities): same value, no log(0).
        log_p_student = F.log_softmax(student_rows / tau, dim=1)
        log_b_student = torch.stack([
            log_p_student.masked_fill(~gt_mask, float('-inf')).logsumexp(dim=1),
            log_p_student.masked_fill(gt_mask, float('-inf')).logsumexp(dim=1),
        ], dim=1)
        p_teacher = F.softmax(teacher_rows / tau, dim=1)
        b_teacher = torch.stack([(p_teacher * gt_mask).sum(dim=1),
                                 (p_teacher * ~gt_mask).sum(dim=1)], dim=1)
        tckd = (torch.xlogy(b_teacher, b_teacher) - b_teacher * log_b_student).sum(dim=1)

        # NCKD on the softmax with the target pushed out (official -1000 shift on z / τ).
        shift = 1000.0 * gt_mask
        log_q_student = F.log_softmax(student_rows / tau - shift, dim=1)
        log_q_teacher = F.log_softmax(teacher_rows / tau - shift, dim=1)
        nckd = (log_q_teacher.exp() * (log_q_teacher - log_q_student)).sum(dim=1)

        loss = tau**2 * weighted_mean(self.alpha * tckd + self.beta * nckd, weights)
        return self.loss_weight * self.warmup_factor(epoch) * loss

    def extra_repr(self) -> str:
        return (f'alpha={self.alpha}, beta={self.beta}, temperature={self.temperature}, '
                f'warmup_epochs={self.warmup_epochs}, loss_weight={self.loss_weight}')
