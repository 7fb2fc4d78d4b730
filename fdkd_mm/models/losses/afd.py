"""AFD: attention-based feature distillation ("Show, Attend and Distill").

Paper: M. Ji, B. Heo, S. Park, "Show, Attend and Distill: Knowledge Distillation via
Attention-based Feature Matching", AAAI 2021 (arXiv 2102.02973). Official code:
``clovaai/attention-feature-distillation``.

Every teacher layer t attends over all student layers s and is matched to each of them in
proportion to the attention (notation: f̄ the channel mean of a feature map, i.e. global
average pooling; d the query/key size)::

    q_t     = BN(W_q,t · f̄ᵀ_t)                                (query, one per teacher layer)
    k_s     = ReLU(BN(W_k,s · f̄ˢ_s))                          (key, one per student layer)
    k_st    = BN(W_b · k_s)[t]                                  (bilinear key for teacher t)
    α_t,:   = softmax_s((q_tᵀ k_st + p_tᵀ p_s) / √d)            (p learnable positional embeddings)
    v_t     = normalize(flatten(mean_c (fᵀ_t)²))                (spatial attention map, ℓ2)
    v̂_st    = normalize(flatten(avgpool_{H_t×W_t}(mean_c (fˢ_s)²)))
    L       = β · Σ_t mean_b Σ_s α_ts · mean_hw (v̂_st − v_t)²

Defaults: d = 128, β = 200 (``loss_weight``), ``W_b`` one linear layer producing d keys for
each teacher layer, BN = BatchNorm1d over the batch, p initialised Xavier-normal.

The query/key/bilinear layers and the positional embeddings are owned by this module (they
are part of the method) and are trained with the student. The teacher features are detached.
Student maps are average-pooled (adaptively) to each teacher map's spatial size before the
comparison, as in the official ``Sample`` module. As in the official code, features are 4-D
maps; the official repository picks layers by index lists (``guide_layers`` / ``hint_layers``),
here the distiller passes the chosen layers in order.
"""
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.registry import MODELS


def spatial_attention(feat: Tensor, size: tuple[int, int]) -> Tensor:
    """ℓ2-normalised channel mean of squared activations, pooled to ``size`` and flattened.

    Args:
        feat: (N, C, H, W) feature map.
        size: Target (H', W'); adaptive average pooling is the identity if it matches.

    Returns:
        (N, H'·W') tensor with unit ℓ2 norm per row.
    """
    energy = feat.pow(2).mean(dim=1, keepdim=True)
    if energy.shape[-2:] != torch.Size(size):
        energy = F.adaptive_avg_pool2d(energy, size)
    return F.normalize(energy.flatten(1), dim=1)


@MODELS.register_module()
class AFDLoss(nn.Module):
    """Attention-weighted matching of every teacher layer to every student layer.

    Args:
        student_channels: Channel count of each distilled student layer, in order.
        teacher_channels: Channel count of each distilled teacher layer, in order.
        qk_dim: Size d of queries and keys. Defaults to 128.
        loss_weight: β. Defaults to 200.0.
    """

    def __init__(self, student_channels: Sequence[int], teacher_channels: Sequence[int],
                 qk_dim: int = 128, loss_weight: float = 200.0) -> None:
        super().__init__()
        self.student_channels = list(student_channels)
        self.teacher_channels = list(teacher_channels)
        self.qk_dim = qk_dim
        self.loss_weight = loss_weight
        num_teacher = len(self.teacher_channels)
        self.query_layers = nn.ModuleList(
            nn.Sequential(nn.Linear(c, qk_dim), nn.BatchNorm1d(qk_dim))
            for c in self.teacher_channels)
        self.key_layers = nn.ModuleList(
            nn.Sequential(nn.Linear(c, qk_dim), nn.BatchNorm1d(qk_dim), nn.ReLU())
            for c in self.student_channels)
        # One key per (student layer, teacher layer) pair: a teacher-specific map of k_s.
        self.bilinear = nn.Sequential(nn.Linear(qk_dim, qk_dim * num_teacher),
                                      nn.BatchNorm1d(qk_dim * num_teacher))
        self.teacher_pos = nn.Parameter(torch.empty(num_teacher, qk_dim))
        self.student_pos = nn.Parameter(torch.empty(len(self.student_channels), qk_dim))
        nn.init.xavier_normal_(self.teacher_pos)
        nn.init.xavier_normal_(self.student_pos)

    def attention(self, student_feats: Sequence[Tensor],
                  teacher_feats: Sequence[Tensor]) -> Tensor:
        """Attention of each teacher layer over the student layers.

        Args:
            student_feats: (N, C_s, H_s, W_s) maps, one per student layer.
            teacher_feats: (N, C_t, H_t, W_t) maps, one per teacher layer.

        Returns:
            (N, num_teacher, num_student) weights; each [n, t, :] sums to 1.
        """
        batch = student_feats[0].shape[0]
        num_student, num_teacher = len(self.student_channels), len(self.teacher_channels)
        query = torch.stack([layer(f.float().mean(dim=(2, 3)))
                             for layer, f in zip(self.query_layers, teacher_feats)], dim=1)
        key = torch.stack([layer(f.float().mean(dim=(2, 3)))
                           for layer, f in zip(self.key_layers, student_feats)], dim=1)
        bilinear_key = self.bilinear(key.reshape(batch * num_student, self.qk_dim))
        bilinear_key = bilinear_key.view(batch, num_student, num_teacher, self.qk_dim)
        logits = torch.einsum('bstd,btd->bts', bilinear_key, query)
        logits = (logits + self.teacher_pos @ self.student_pos.t()) / math.sqrt(self.qk_dim)
        return logits.softmax(dim=2)

    def forward(self, student_feats: Sequence[Tensor],
                teacher_feats: Sequence[Tensor]) -> Tensor:
        """Compute the loss.

        Args:
            student_feats: (N, C_s, H_s, W_s) maps, one per student layer given at construction.
            teacher_feats: (N, C_t, H_t, W_t) maps, one per teacher layer; detached here.

        Returns:
            Scalar loss.
        """
        if len(student_feats) != len(self.student_channels) or \
                len(teacher_feats) != len(self.teacher_channels):
            raise ValueError(f'expected {len(self.student_channels)} student and '
                             f'{len(self.teacher_channels)} teacher features, got '
                             f'{len(student_feats)} and {len(teacher_feats)}')
        teacher_feats = [f.detach() for f in teacher_feats]
        att = self.attention(student_feats, teacher_feats)
        loss = att.new_zeros(())
        # Loops run over the few distilled layers, never over samples or pixels.
        for t, teacher_feat in enumerate(teacher_feats):
            size = tuple(teacher_feat.shape[-2:])
            value_teacher = spatial_attention(teacher_feat.float(), size)
            value_student = torch.stack([spatial_attention(f.float(), size)
                                         for f in student_feats], dim=1)
            diff = (value_student - value_teacher[:, None]).pow(2).mean(dim=2)
            loss = loss + (diff * att[:, t]).sum(dim=1).mean()
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'student_channels={self.student_channels}, '
                f'teacher_channels={self.teacher_channels}, qk_dim={self.qk_dim}, '
                f'loss_weight={self.loss_weight}')
