"""Relational knowledge distillation (RKD): distance- and angle-wise relations within a batch.

Paper: W. Park, D. Kim, Y. Lu, M. Cho, "Relational Knowledge Distillation", CVPR 2019
(arXiv 1904.05068). Official code: lenscloth/RKD (the classification script
``run_distill_classification.py`` and ``metric/loss_classification.py``).

Formula (x_i the embedding of sample i, N samples, the same for the student s and teacher t)::

    x_i        ← x_i / ‖x_i‖                                   (normalize=True, the official script)
    d(i, j)    = sqrt(max(‖x_i‖² + ‖x_j‖² − 2 x_i·x_j, 1e-12)),  d(i, i) = 0
    ψ_D(i, j)  = d(i, j) / mean{d(a, b) : d(a, b) > 0}
    e(i, j)    = (x_j − x_i) / max(‖x_j − x_i‖, 1e-12)              (0 for j = i)
    ψ_A(i,j,k) = e(i, j) · e(i, k)                                  the cosine at vertex i
    L_D        = 1/N² Σ_ij  smoothL1(ψ_Dˢ(i, j) − ψ_Dᵗ(i, j))
    L_A        = 1/N³ Σ_ijk smoothL1(ψ_Aˢ(i,j,k) − ψ_Aᵗ(i,j,k))
    L          = w_D · L_D + w_A · L_A,      smoothL1(u) = u²/2 if |u| < 1 else |u| − 1/2

The means run over every entry, the diagonal and degenerate triples included, as the official
code's ``smooth_l1_loss(..., 'elementwise_mean')`` does; the student's normaliser μ carries
gradient (the teacher's is a constant).

Defaults: distance_weight w_D = 25, angle_weight w_A = 50, normalize = True (lenscloth's
classification script; its metric-learning script uses 1 / 2 on unnormalised embeddings).

MST-Distill's ``KD_methods/RKD.py`` maps both features through a linear embedding to 128
dimensions followed by L2 normalisation (RepDistiller's ``Embed``, trained with the student)
and weights 1 / 2: ``embed_dim=128, student_channels=..., teacher_channels=...,
distance_weight=1, angle_weight=2``. Maps (N, C, H, W) are averaged over space first (the
official code reads pooled embeddings). The teacher's tensor is detached; its relations are
computed without gradient, as in both official codes, so in the embedding variant the
teacher's embedding keeps its random initialisation (MST-Distill hands it to the optimiser,
but no gradient reaches it).
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.registry import MODELS

from .embedding import L2Embed


def as_embedding(feat: Tensor) -> Tensor:
    """(N, C) as it is, (N, C, ...) averaged over the trailing dims; half precision upcast."""
    if feat.dim() > 2:
        feat = feat.flatten(2).mean(dim=2)
    if feat.dim() != 2:
        raise ValueError(f'RKD reads (N, C) or (N, C, H, W) features, got {tuple(feat.shape)}')
    return feat.float() if feat.dtype in (torch.float16, torch.bfloat16) else feat


def pairwise_distance(x: Tensor, eps: float = 1e-12) -> Tensor:
    """Euclidean distances of the rows, the diagonal exactly 0 (the official ``pdist``)."""
    squared = x.pow(2).sum(dim=1)
    dist = (squared[:, None] + squared[None, :] - 2 * x @ x.t()).clamp(min=eps).sqrt()
    return dist * (1 - torch.eye(len(x), dtype=x.dtype, device=x.device))


def distance_relation(x: Tensor) -> Tensor:
    """ψ_D: the distances divided by the mean of the positive ones."""
    dist = pairwise_distance(x)
    positive = dist > 0
    return dist / (dist * positive).sum() * positive.sum()


def angle_relation(x: Tensor) -> Tensor:
    """ψ_A: (N, N, N) cosines of the angle at vertex i between samples j and k."""
    directions = F.normalize(x[None, :, :] - x[:, None, :], p=2, dim=2)
    return directions @ directions.transpose(1, 2)


@MODELS.register_module()
class RKDLoss(nn.Module):
    """RKD: smooth-L1 between the student's and the teacher's distance and angle relations.

    Args:
        distance_weight: w_D. Defaults to 25.0.
        angle_weight: w_A. Defaults to 50.0.
        normalize: L2-normalise both embeddings first (ignored with ``embed_dim``, whose
            embeddings are normalised already). Defaults to True.
        embed_dim: If given, map both features through trained linear embeddings of this width
            (MST-Distill's variant); needs ``student_channels`` and ``teacher_channels``.
        student_channels: The student feature's width (with ``embed_dim``).
        teacher_channels: The teacher feature's width (with ``embed_dim``).
        loss_weight: Multiplier of the whole loss. Defaults to 1.0.
    """

    def __init__(self, distance_weight: float = 25.0, angle_weight: float = 50.0,
                 normalize: bool = True, embed_dim: Optional[int] = None,
                 student_channels: Optional[int] = None,
                 teacher_channels: Optional[int] = None, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.distance_weight = distance_weight
        self.angle_weight = angle_weight
        self.normalize = normalize
        self.loss_weight = loss_weight
        self.embed_student = self.embed_teacher = None
        if embed_dim is not None:
            if student_channels is None or teacher_channels is None:
                raise ValueError('RKDLoss with embed_dim needs student_channels and '
                                 'teacher_channels (the widths of the features it reads)')
            self.embed_student = L2Embed(student_channels, embed_dim)
            self.embed_teacher = L2Embed(teacher_channels, embed_dim)

    def input_channels(self) -> dict[str, Optional[int]]:
        """Widths the embeddings expect (checked by the distiller); none without them."""
        if self.embed_student is None:
            return {}
        return dict(student_feat=self.embed_student.linear.in_features,
                    teacher_feat=self.embed_teacher.linear.in_features)

    def forward(self, student_feat: Tensor, teacher_feat: Tensor) -> dict[str, Tensor]:
        """Compute both terms.

        Args:
            student_feat: (N, C_s) or (N, C_s, H, W).
            teacher_feat: (N, C_t) or (N, C_t, H', W'), the same N; detached here.

        Returns:
            ``loss_distance`` (w_D · L_D) and ``loss_angle`` (w_A · L_A), each times
            ``loss_weight``.
        """
        student, teacher = as_embedding(student_feat), as_embedding(teacher_feat.detach())
        if len(student) != len(teacher):
            raise ValueError(f'student ({len(student)}) and teacher ({len(teacher)}) batches '
                             'differ')
        if self.embed_student is not None:
            student, teacher = self.embed_student(student), self.embed_teacher(teacher)
        elif self.normalize:
            student, teacher = F.normalize(student, dim=1), F.normalize(teacher, dim=1)
        with torch.no_grad():
            teacher_distance = distance_relation(teacher)
            teacher_angle = angle_relation(teacher)
        loss_distance = F.smooth_l1_loss(distance_relation(student), teacher_distance)
        loss_angle = F.smooth_l1_loss(angle_relation(student), teacher_angle)
        return dict(loss_distance=self.loss_weight * self.distance_weight * loss_distance,
                    loss_angle=self.loss_weight * self.angle_weight * loss_angle)

    def extra_repr(self) -> str:
        return (f'distance_weight={self.distance_weight}, angle_weight={self.angle_weight}, '
                f'normalize={self.normalize}, loss_weight={self.loss_weight}')
