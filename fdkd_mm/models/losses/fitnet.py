"""Plain feature mimicking, "Feat" in the paper's tables (FitNet-style hint loss).

Paper: A. Romero, N. Ballas, S. E. Kahou, A. Chassang, C. Gatta, Y. Bengio, "FitNets: Hints
for Thin Deep Nets", ICLR 2015 (arXiv 1412.6550).

Formula (S the student feature already mapped by the connector, T the teacher feature, E the
number of elements)::

    L = 1/E · Σ (S − T)²

i.e. ``F.mse_loss`` with mean reduction over all elements. FD-CMKD's ablation with every
switch off reduces to exactly this loss (Table 4; docs/method.md).

Defaults: loss_weight = 1.

Differences from the paper: FitNets trains the hint stage separately (stage-wise, with a
convolutional regressor and a sum of squares); here, as in the common one-stage
re-implementations (and the paper's "Feat" baseline), the loss is added to the task loss in
one stage and the connector (a 1×1 conv for maps, a linear layer for vectors) is a separate
module applied by the distiller before this loss. The teacher feature is detached.
"""
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.registry import MODELS


@MODELS.register_module()
class FitNetLoss(nn.Module):
    """Mean squared error between the (projected) student feature and the teacher feature.

    Args:
        loss_weight: Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, student_feat: Tensor, teacher_feat: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            student_feat: Student feature after the connector, any shape.
            teacher_feat: Teacher feature of the same shape; detached here.

        Returns:
            Scalar loss.
        """
        if student_feat.shape != teacher_feat.shape:
            raise ValueError(f'student feature {tuple(student_feat.shape)} and teacher feature '
                             f'{tuple(teacher_feat.shape)} must have the same shape; map the '
                             'student through a connector first')
        return self.loss_weight * F.mse_loss(student_feat.float(), teacher_feat.detach().float())

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
