"""One-for-all KD (OFA): exit branches map intermediate student features to the logit space.

Paper: Z. Hao, J. Guo, K. Han, Y. Tang, H. Hu, Y. Wang, C. Xu, "One-for-All: Bridge the Gap
Between Heterogeneous Architectures in Knowledge Distillation", NeurIPS 2023
(arXiv 2310.19444). Official code: Hao840/OFAKD (``distillers/ofa.py``, ``distillers/utils.py``).

Formula (p = σ(z / τ), y the one-hot label, ε the exponent, N rows)::

    ofa(zˢ, zᵗ) = 1/N Σ_n Σ_k −((pᵗ_nk + y_nk)^ε − y_nk) · log pˢ_nk
    L_branches  = loss_weight · Σ_i ofa(branch_i(f_i), zᵗ; ε_i)      one exit branch per stage
    L_logits    = kd_loss_weight · ofa(zˢ, zᵗ; ε_last)                 the student's own logits

With ε = 1 the target-class weight is pᵗ_y and ofa is the cross-entropy to the teacher's
distribution; ε > 1 raises the target's weight (pᵗ_y + 1)^ε − 1 above pᵗ_y when the teacher is
unsure. The student's task loss (the official ``gt_loss_weight`` · CE) is its own ``student.*``.

Exit branch of a CNN stage numbered s (OFAKD's numbering, the last stage 4): for s < 4, 4 − s
separable-conv blocks (depthwise 3×3 stride 2, pointwise, BN, ReLU, depthwise 3×3, pointwise,
BN, ReLU) doubling the channels, the last one to ``feature_dim`` (the official max of the
student's and the teacher's last-stage widths); for s = 4 a 1×1 conv to ``feature_dim``; then
global average pooling and a linear classifier. Initialised as the official ``init_weights``
(convs Kaiming normal fan-out, BN 1 / 0, linears truncated normal std 0.02 with zero bias).

Defaults (OFAKD's ``train.py``): eps 1.0 on every branch and the logits, temperature 1,
loss_weight 1, kd_loss_weight 1; stages 2, 3, 4 (the pairs' vocabulary; OFAKD also uses stage 1).

Dense logits (NYU, ``dense=True``): branches keep the map (the blocks use stride 1, the
classifier is a 1×1 conv), are resized bilinearly onto the student's logit grid, and every pixel
not labelled 255 is a row. This is our extension: OFAKD is defined for classification.
"""
from collections.abc import Sequence
from typing import Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.registry import MODELS

from .utils import logits_to_rows, weighted_mean


def ofa_rows(student_rows: Tensor, teacher_rows: Tensor, target_rows: Tensor, weights: Tensor,
             eps: float, temperature: float) -> Tensor:
    """The OFA loss of logit rows, averaged over the rows of weight 1."""
    log_p_student = F.log_softmax(student_rows / temperature, dim=1)
    p_teacher = F.softmax(teacher_rows / temperature, dim=1)
    onehot = F.one_hot(target_rows, student_rows.shape[1]).to(p_teacher.dtype)
    weight = (p_teacher + onehot).pow(eps) - onehot
    return weighted_mean(-(weight * log_p_student).sum(dim=1), weights)


class SepConv(nn.Module):
    """Two depthwise-separable convs with BN and ReLU; the first strides (OFAKD's SepConv).

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        stride: Stride of the first depthwise conv (2 downsamples; 1 for dense branches).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 2) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.Conv2d(in_channels, in_channels, 3, stride, 1, groups=in_channels, bias=False),
            nn.Conv2d(in_channels, in_channels, 1, bias=False),
            nn.BatchNorm2d(in_channels), nn.ReLU(),
            nn.Conv2d(in_channels, in_channels, 3, 1, 1, groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU())

    def forward(self, x: Tensor) -> Tensor:
        """Apply the blocks."""
        return self.op(x)


def exit_branch(in_channels: int, stage: int, feature_dim: int, num_classes: int,
                dense: bool = False) -> nn.Sequential:
    """OFAKD's CNN exit branch of stage ``stage`` (1..4), mapping features to class logits.

    Args:
        in_channels: The stage's channels.
        stage: The stage's number in OFAKD's numbering (4: the last).
        feature_dim: Width before the classifier.
        num_classes: Number of classes.
        dense: Keep the map (stride 1, 1×1 conv classifier) instead of pooling.

    Returns:
        The branch.
    """
    blocks: list[nn.Module] = []
    if stage < 4:
        channels = in_channels
        for i in range(4 - stage):
            out = feature_dim if i == 4 - stage - 1 else channels * 2
            blocks.append(SepConv(channels, out, stride=1 if dense else 2))
            channels *= 2
    else:
        blocks.append(nn.Conv2d(in_channels, feature_dim, 1))
    if dense:
        return nn.Sequential(*blocks, nn.Conv2d(feature_dim, num_classes, 1))
    return nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(feature_dim, num_classes))


def init_branch(module: nn.Module) -> None:
    """OFAKD's ``init_weights`` on every conv, BN and linear of a branch."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


@MODELS.register_module()
class OFALoss(nn.Module):
    """OFA: exit branches on student stages and the student's logits, all to the teacher.

    Args:
        student_channels: Channels of each student stage read (``student_feats``).
        num_classes: Number of classes.
        feature_dim: Width before each branch's classifier (official: the larger of the
            student's and teacher's last-stage widths).
        stages: OFAKD's number of each stage read (4: the last). Defaults to (2, 3, 4).
        eps: ε, one for all, or one per branch plus one for the logits. Defaults to 1.0.
        temperature: τ. Defaults to 1.0.
        loss_weight: Weight of the branches' sum. Defaults to 1.0.
        kd_loss_weight: Weight of the logits' term. Defaults to 1.0.
        dense: Dense logits (segmentation): map branches. Defaults to False.
        ignore_index: Label of ignored pixels. Defaults to 255.
    """

    def __init__(self, student_channels: Sequence[int], num_classes: int, feature_dim: int,
                 stages: Sequence[int] = (2, 3, 4), eps: Union[float, Sequence[float]] = 1.0,
                 temperature: float = 1.0, loss_weight: float = 1.0,
                 kd_loss_weight: float = 1.0, dense: bool = False,
                 ignore_index: int = 255) -> None:
        super().__init__()
        if len(student_channels) != len(stages):
            raise ValueError(f'OFALoss: {len(student_channels)} student_channels for '
                             f'{len(stages)} stages {list(stages)}; give one width per stage')
        eps = [float(eps)] * (len(stages) + 1) if isinstance(eps, (int, float)) else list(eps)
        if len(eps) != len(stages) + 1:
            raise ValueError(f'OFALoss eps needs one value per stage plus one for the logits '
                             f'({len(stages) + 1}), got {len(eps)}')
        self.student_channels = list(student_channels)
        self.stages = list(stages)
        self.eps = eps
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.kd_loss_weight = kd_loss_weight
        self.dense = dense
        self.ignore_index = ignore_index
        self.branches = nn.ModuleList(
            exit_branch(c, s, feature_dim, num_classes, dense)
            for c, s in zip(student_channels, stages))
        init_branch(self.branches)

    def input_channels(self) -> dict[str, list[int]]:
        """Widths the branches expect (checked by the distiller)."""
        return dict(student_feats=self.student_channels)

    def forward(self, student_feats: list[Tensor], student_logits: Tensor,
                teacher_logits: Tensor, target: Tensor) -> dict[str, Tensor]:
        """Compute the branches' and the logits' terms.

        Args:
            student_feats: One map (N, C_i, H_i, W_i) per stage.
            student_logits: (N, K) or (N, K, H, W).
            teacher_logits: Same shape (dense maps may differ in size); detached here.
            target: Class ids (N,) or label maps.

        Returns:
            ``loss_branches`` and ``loss_logits``.
        """
        if len(student_feats) != len(self.branches):
            raise ValueError(f'OFALoss has {len(self.branches)} exit branches (stages '
                             f'{self.stages}) but got {len(student_feats)} student features')
        teacher_logits = teacher_logits.detach()
        student_rows, teacher_rows, target_rows, weights = logits_to_rows(
            student_logits, teacher_logits, target, self.ignore_index)
        terms = []
        for feat, branch, eps in zip(student_feats, self.branches, self.eps):
            branch_logits = branch(feat)
            if self.dense:
                branch_logits = F.interpolate(branch_logits, size=student_logits.shape[-2:],
                                              mode='bilinear', align_corners=False)
            rows = logits_to_rows(branch_logits, teacher_logits, target, self.ignore_index)[0]
            terms.append(ofa_rows(rows, teacher_rows, target_rows, weights, eps,
                                  self.temperature))
        logits_term = ofa_rows(student_rows, teacher_rows, target_rows, weights, self.eps[-1],
                               self.temperature)
        return dict(loss_branches=self.loss_weight * torch.stack(terms).sum(),
                    loss_logits=self.kd_loss_weight * logits_term)

    def extra_repr(self) -> str:
        return (f'stages={self.stages}, eps={self.eps}, temperature={self.temperature}, '
                f'loss_weight={self.loss_weight}, kd_loss_weight={self.kd_loss_weight}, '
                f'dense={self.dense}')
