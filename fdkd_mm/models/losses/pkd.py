"""PKD: feature distillation with the Pearson correlation coefficient.

Paper: W. Cao, Y. Zhang, J. Gao, A. Cheng, K. Cheng, J. Cheng, "PKD: General Distillation
Framework for Object Detectors via Pearson Correlation Coefficient", NeurIPS 2022
(arXiv 2207.02039). Official code: MMRazor's ``PKDLoss``.

Formula: standardise every channel c over the batch and space (N, H, W)::

    Ŝ_c = (S_c − mean(S_c)) / (std(S_c) + eps),   std unbiased, eps = 1e-6   (same for T)
    L   = MSE(Ŝ, T̂) / 2

which, up to the eps and a factor (M − 1) / M (M = N·H·W values per channel, from the unbiased
std), equals ``1 − r`` averaged over channels, r being the Pearson correlation of the two
channels' values (the reason for the name).

Defaults: loss_weight = 1, eps = 1e-6, the student is resized to the teacher's size.

When the spatial sizes differ the student map is resized with bilinear interpolation
(``align_corners=False``), as in MMRazor with ``resize_stu=True``. Pooled (N, C) vectors are
accepted too: each channel is then standardised over the batch. The teacher is detached
(MMRazor relies on the teacher running under ``no_grad`` instead). MMRazor also accepts tuples
of feature levels and sums them; this module takes one level, the distiller sums levels.
"""
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.registry import MODELS


def standardize_channels(feat: Tensor, eps: float = 1e-6) -> Tensor:
    """Standardise each channel (dim 1) over all other dimensions (batch and space).

    Args:
        feat: (N, C) or (N, C, H, W).
        eps: Added to the unbiased standard deviation.

    Returns:
        Tensor shaped like ``feat``.
    """
    reduce_dims = [0] + list(range(2, feat.dim()))
    mean = feat.mean(dim=reduce_dims, keepdim=True)
    std = feat.std(dim=reduce_dims, keepdim=True)
    return (feat - mean) / (std + eps)


@MODELS.register_module()
class PKDLoss(nn.Module):
    """MSE / 2 between per-channel standardised student and teacher features.

    Args:
        loss_weight: Multiplier of the loss. Defaults to 1.0.
        resize_student: If spatial sizes differ, resize the student to the teacher's size
            (True) or the teacher to the student's (False). Defaults to True.
        eps: Added to the standard deviation. Defaults to 1e-6.
    """

    def __init__(self, loss_weight: float = 1.0, resize_student: bool = True,
                 eps: float = 1e-6) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.resize_student = resize_student
        self.eps = eps

    def forward(self, student_feat: Tensor, teacher_feat: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            student_feat: (N, C) or (N, C, H, W).
            teacher_feat: (N, C) or (N, C, H', W') with the same N and C; detached here.

        Returns:
            Scalar loss.
        """
        teacher_feat = teacher_feat.detach()
        if student_feat.dim() == 4 and student_feat.shape[-2:] != teacher_feat.shape[-2:]:
            if self.resize_student:
                student_feat = F.interpolate(student_feat, size=teacher_feat.shape[-2:],
                                             mode='bilinear', align_corners=False)
            else:
                teacher_feat = F.interpolate(teacher_feat, size=student_feat.shape[-2:],
                                             mode='bilinear', align_corners=False)
        if student_feat.shape != teacher_feat.shape:
            raise ValueError(f'student feature {tuple(student_feat.shape)} and teacher feature '
                             f'{tuple(teacher_feat.shape)} must match in batch and channels')
        norm_student = standardize_channels(student_feat.float(), self.eps)
        norm_teacher = standardize_channels(teacher_feat.float(), self.eps)
        return self.loss_weight * F.mse_loss(norm_student, norm_teacher) / 2

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, resize_student={self.resize_student}'
