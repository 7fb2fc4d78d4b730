"""DIST: knowledge distillation from a stronger teacher.

Paper: T. Huang, S. You, F. Wang, C. Qian, C. Xu, "Knowledge Distillation from A Stronger
Teacher", NeurIPS 2022 (arXiv 2205.10536).

Formula (y = σ(z / τ) row-wise softmax, ρ Pearson correlation, Y of shape (B, C))::

    inter = 1 − 1/B · Σ_n ρ(Yˢ[n, :], Yᵀ[n, :])      (class relation within each sample)
    intra = 1 − 1/C · Σ_c ρ(Yˢ[:, c], Yᵀ[:, c])      (sample relation within each class)
    L     = τ² · (β · inter + γ · intra)

Defaults: β = γ = 1, τ = 1, loss_weight = 1.

Dense logits (N, C, H, W): every pixel is a row, so B = N·H·W and the intra-class relation
correlates each class's probability over all pixels of the batch (the segmentation variant of
the paper). No pixel is ignored, matching the official code.

Like the official code, ρ is the cosine similarity of the centred vectors with eps = 1e-8 added
to the product of norms (not inside the square roots). The teacher logits are detached.
"""
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.registry import MODELS


def pearson_correlation(a: Tensor, b: Tensor, dim: int, eps: float = 1e-8) -> Tensor:
    """Pearson correlation of ``a`` and ``b`` along ``dim``.

    Args:
        a: Tensor.
        b: Tensor shaped like ``a``.
        dim: Dimension along which the correlation is taken (reduced).
        eps: Added to the product of the centred norms (guards constant vectors).

    Returns:
        Correlations with ``dim`` removed.
    """
    a = a - a.mean(dim=dim, keepdim=True)
    b = b - b.mean(dim=dim, keepdim=True)
    return (a * b).sum(dim=dim) / (a.norm(dim=dim) * b.norm(dim=dim) + eps)


@MODELS.register_module()
class DISTLoss(nn.Module):
    """DIST: inter- and intra-class Pearson relations of the softened predictions.

    Args:
        beta: Weight β of the inter-class (per-sample) relation. Defaults to 1.0.
        gamma: Weight γ of the intra-class (per-class) relation. Defaults to 1.0.
        temperature: Softmax temperature τ. Defaults to 1.0.
        loss_weight: Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self, beta: float = 1.0, gamma: float = 1.0, temperature: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.beta = beta
        self.gamma = gamma
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, student_logits: Tensor, teacher_logits: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            student_logits: (N, C) or (N, C, H, W).
            teacher_logits: Same shape; detached here.

        Returns:
            Scalar loss.
        """
        if student_logits.shape != teacher_logits.shape:
            raise ValueError(f'student logits {tuple(student_logits.shape)} and teacher logits '
                             f'{tuple(teacher_logits.shape)} must have the same shape')
        teacher_logits = teacher_logits.detach()
        if student_logits.dim() == 4:
            num_classes = student_logits.shape[1]
            student_logits = student_logits.permute(0, 2, 3, 1).reshape(-1, num_classes)
            teacher_logits = teacher_logits.permute(0, 2, 3, 1).reshape(-1, num_classes)
        elif student_logits.dim() != 2:
            raise ValueError(f'logits must be (N, C) or (N, C, H, W), '
                             f'got {tuple(student_logits.shape)}')
        y_student = F.softmax(student_logits.float() / self.temperature, dim=1)
        y_teacher = F.softmax(teacher_logits.float() / self.temperature, dim=1)
        inter = 1 - pearson_correlation(y_student, y_teacher, dim=1).mean()
        intra = 1 - pearson_correlation(y_student, y_teacher, dim=0).mean()
        loss = self.temperature**2 * (self.beta * inter + self.gamma * intra)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'beta={self.beta}, gamma={self.gamma}, temperature={self.temperature}, '
                f'loss_weight={self.loss_weight}')
