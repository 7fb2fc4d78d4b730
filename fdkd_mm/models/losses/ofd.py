"""OFD: a comprehensive overhaul of feature distillation.

Paper: B. Heo, J. Kim, S. Yun, H. Park, N. Kwak, J. Y. Choi, "A Comprehensive Overhaul of
Feature Distillation", ICCV 2019 (arXiv 1904.01866). Official code: ``clovaai/overhaul-
distillation``.

Pieces:

* Distillation position: *pre-ReLU* features of both networks.
* Teacher transform: the teacher feature is clipped from below at a per-channel margin, the
  expectation of the negative responses under the Gaussian that the teacher's preceding BN
  implies (s = |γ|, m = β of that BN)::

      margin = m − s · φ(m/s) / Φ(−m/s)    if Φ(−m/s) > 0.001
             = −3 s                         otherwise

  (φ standard normal pdf, Φ cdf; φ is even, so φ(m/s) = φ(−m/s)). :func:`ofd_margin` and
  :func:`ofd_margin_from_bn` compute it in torch (no scipy at run time).
* Student transform: a 1×1 conv + BN connector
  (:class:`~fdkd_mm.models.connectors.OFDConnector`).
* Distance: partial L2 — an element counts unless the student is already below a teacher
  response that is itself negative (ReLU would zero both)::

      T′ = max(T, margin)
      L  = loss_weight · 1/N · Σ (S′ − T′)² · [S′ > T′ or T′ > 0]

Defaults: loss_weight = 1e-3, the official CIFAR-100 scale (``loss_distill.sum() / batch_size
/ 1000``); the official ImageNet script uses 1e-4 and the segmentation script a tuned α.

Differences from the official code: it distils several stages and divides the i-th of k
stage losses by 2^(k−i−1); here one feature per loss module (build one module per stage with
its own ``loss_weight`` to reproduce the pyramid). The official margin loop runs on the host
with scipy; here it is vectorised torch in float64. The teacher feature is detached.

(N, C) vectors are accepted as well as (N, C, H, W) maps; the margin broadcasts over channels.
"""
import math
from typing import Optional, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from fdkd_mm.registry import MODELS


def ofd_margin(gamma: Tensor, beta: Tensor) -> Tensor:
    """Per-channel OFD margin from a BN's affine parameters.

    Args:
        gamma: (C,) BN weight; its absolute value is the std s of the pre-ReLU response.
        beta: (C,) BN bias, the mean m of the pre-ReLU response.

    Returns:
        (C,) margin in the dtype and on the device of ``gamma``.
    """
    std = gamma.detach().double().abs().clamp_min(1e-12)  # s = 0 would divide by zero
    mean = beta.detach().double()
    z = mean / std
    cdf_neg = torch.special.ndtr(-z)  # Φ(−m/s): probability that the response is negative
    pdf = torch.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    # E[x | x < 0] for x ~ N(m, s²); clamp only so the unused branch stays finite.
    truncated_mean = mean - std * pdf / cdf_neg.clamp_min(1e-3)
    margin = torch.where(cdf_neg > 1e-3, truncated_mean, -3 * std)
    return margin.to(dtype=gamma.dtype)


def ofd_margin_from_bn(bn: _BatchNorm) -> Tensor:
    """Per-channel OFD margin of the BN that precedes the distilled (pre-ReLU) teacher feature.

    Args:
        bn: An affine BatchNorm module (``nn.BatchNorm1d/2d``, ``SyncBatchNorm``, ...).

    Returns:
        (C,) margin.
    """
    if bn.weight is None or bn.bias is None:
        raise ValueError('OFD margins need an affine BatchNorm (weight and bias)')
    return ofd_margin(bn.weight, bn.bias)


@MODELS.register_module()
class OFDLoss(nn.Module):
    """Partial L2 between the connected student feature and the margin-clipped teacher feature.

    The margin comes, in this order, from the teacher BN's parameters passed to
    :meth:`forward` (``bn_weight`` / ``bn_bias``: map them from teacher recorders with
    ``source='parameter'``, so the margin follows the loaded, resumed or trained teacher at
    every step), from a ``margin`` tensor, or from the buffer filled by :meth:`set_margin`
    (not persistent, so checkpoints do not depend on it).

    With ``partial=False`` no margin and no mask apply: plain L2 of the per-sample sum, for a
    teacher feature that no ReLU follows and no BN precedes (e.g. BERT's [CLS] vector), where
    OFD's margin is undefined.

    Args:
        loss_weight: Multiplier of the per-sample sum. Defaults to 1e-3.
        partial: Clip the teacher at the margin and use the partial L2. Defaults to True.
    """

    margin: Optional[Tensor]

    def __init__(self, loss_weight: float = 1e-3, partial: bool = True) -> None:
        super().__init__()
        if not isinstance(partial, bool):
            raise ValueError(f'partial must be True or False, got {partial!r}')
        self.loss_weight = loss_weight
        self.partial = partial
        self.register_buffer('margin', None, persistent=False)

    def set_margin(self, source: Union[Tensor, _BatchNorm]) -> None:
        """Store the margin: a (C,) tensor or the teacher BN to derive it from."""
        margin = ofd_margin_from_bn(source) if isinstance(source, _BatchNorm) else source
        self.margin = margin.detach().clone()

    def forward(self, student_feat: Tensor, teacher_feat: Tensor,
                margin: Optional[Tensor] = None, bn_weight: Optional[Tensor] = None,
                bn_bias: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            student_feat: Connected student feature, (N, C) or (N, C, H, W).
            teacher_feat: Pre-ReLU teacher feature of the same shape; detached here.
            margin: Optional (C,) margin, used when no BN parameters are given; defaults to
                the stored one.
            bn_weight: (C,) weight γ of the teacher BN before the feature.
            bn_bias: (C,) bias β of that BN (give both or neither).

        Returns:
            Scalar loss.
        """
        if (bn_weight is None) != (bn_bias is None):
            raise ValueError('give both bn_weight and bn_bias of the teacher BN, or neither')
        if student_feat.shape != teacher_feat.shape:
            raise ValueError(f'student feature {tuple(student_feat.shape)} and teacher feature '
                             f'{tuple(teacher_feat.shape)} must have the same shape')
        if not self.partial:
            squared = (student_feat.float() - teacher_feat.detach().float()).pow(2)
            return self.loss_weight * squared.sum() / student_feat.shape[0]
        if bn_weight is not None:
            margin = ofd_margin(bn_weight, bn_bias)
        elif margin is None:
            margin = self.margin
        if margin is None:
            raise RuntimeError('OFDLoss has no margin: pass `margin=` or call `set_margin()` '
                               'with the teacher BN that precedes the distilled feature')
        student_feat = student_feat.float()
        margin = margin.detach().to(device=teacher_feat.device, dtype=torch.float32)
        margin = margin.view(1, -1, *([1] * (teacher_feat.dim() - 2)))
        teacher_feat = torch.maximum(teacher_feat.detach().float(), margin)
        keep = (student_feat > teacher_feat) | (teacher_feat > 0)
        squared = (student_feat - teacher_feat).pow(2) * keep
        return self.loss_weight * squared.sum() / student_feat.shape[0]

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, partial={self.partial}'
