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
"""
from typing import Optional

from torch import Tensor, nn

from fdkd_mm.registry import MODELS

from .utils import kl_rows, logits_to_rows, weighted_mean


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
