"""C2KD: bridging the modality gap for cross-modal knowledge distillation.

Paper: F. Huo, W. Xu, J. Guo, H. Wang, S. Guo, "C2KD: Bridging the Modality Gap for
Cross-Modal Knowledge Distillation", CVPR 2024. Official code: ``huofushuo/C2KD``.

Both networks train together (the teacher is *not* frozen: it runs in train mode with
gradients). Each network gets a proxy head on its feature (pool → 1×1 conv + BN +
LeakyReLU(0.1) → linear); with p the softmax of a network's logits, q of its proxy's, and
KL(a ‖ b) with a detached::

    L_student_proxy = KL(pˢ ‖ qˢ) + KL(qˢ ‖ pˢ)        bidirectional, each side detached once
    L_teacher_proxy = KL(pᵀ ‖ qᵀ) + KL(qᵀ ‖ pᵀ)
    keep_n          = [τ_Kendall(proxyᵀ_n, proxyˢ_n) > threshold]     on-the-fly selection
    L_proxy_distill = 1/N Σ_n keep_n · (KL(q̃ᵀ_n ‖ q̃ˢ_n) + KL(q̃ˢ_n ‖ q̃ᵀ_n))

q̃ is the non-target distribution of a proxy (softmax over the C − 1 non-target logits). The
CE terms of both networks come from their own heads, outside this module. Every KL is summed
over classes and averaged over the batch; temperature 1.

Defaults: Kendall threshold 0.0 (strict ``>``), proxy hidden width = input channels (256 for
the official ResNet-18 stage), all weights 1, loss_weight = 1.

Where the official code differs from the paper / this default:

* It "removes" the target by multiplying the logits by the non-target mask, i.e. it sets the
  target *logit to 0*, which leaves the target in the softmax with weight e⁰. That is the
  default, ``non_target='zero_logit'``: it is what produced the published numbers.
  ``'remove'`` drops the target class from the softmax as the paper describes.
* It averages the selected non-target KL over the whole batch N (unselected samples count as
  0), not over the selected ones; this module does the same.
* Kendall's τ is computed with scipy on the host, sample by sample; here
  :func:`~fdkd_mm.models.losses.kendall.kendall_tau` computes the same τ-b batched on the
  device, and no ``if mask.sum() == 0`` branch is needed (the masked mean is then 0).

Features of any shape (N, C, ...) are accepted: they are averaged over all dims after the
channel dim (a pooled (N, C) vector is used as is).

Dense prediction (Table 3, NYU-Depth V2): with (N, K, H, W) logits every pixel is a sample. The
proxies classify each pixel of the (N, C, h, w) feature map (the same layers applied per
pixel: 1×1 conv + BN + LeakyReLU, then the linear classifier as a 1×1 conv), their maps are
resampled (bilinear) onto the student's logit grid, as are the teacher's logits, and labels
are resized (nearest) to it; every KL and the Kendall-τ selection run per pixel, and every mean
runs over the pixels whose label is not ``ignore_index`` (the official code's batch mean over
N, with unselected samples counting 0, becomes the mean over valid pixels).
"""
from typing import Literal, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.models.resize import match_grid
from fdkd_mm.registry import MODELS

from .utils import kl_rows, logits_to_rows, weighted_mean
from .kendall import kendall_tau
from .nkd import non_target_indices


@MODELS.register_module()
class C2KDProxyHead(nn.Module):
    """C2KD proxy classifier: global pool → 1×1 conv (no bias) + BN + LeakyReLU(0.1) → linear.

    Initialised as the official code: conv Kaiming-normal (fan_out, ReLU gain), BN γ = 1,
    β = 0; the linear layer keeps PyTorch's default initialisation.

    Args:
        in_channels: Channels of the input feature.
        num_classes: Output classes K.
        hidden_channels: Width of the 1×1 conv; defaults to ``in_channels``.
    """

    def __init__(self, in_channels: int, num_classes: int,
                 hidden_channels: Optional[int] = None) -> None:
        super().__init__()
        hidden_channels = hidden_channels or in_channels
        self.conv = nn.Conv2d(in_channels, hidden_channels, kernel_size=1, bias=False)
        self.bn = nn.BatchNorm2d(hidden_channels)
        self.act = nn.LeakyReLU(0.1)
        self.fc = nn.Linear(hidden_channels, num_classes)
        nn.init.kaiming_normal_(self.conv.weight, mode='fan_out', nonlinearity='relu')
        nn.init.ones_(self.bn.weight)
        nn.init.zeros_(self.bn.bias)

    def forward(self, feat: Tensor, dense: bool = False) -> Tensor:
        """Proxy logits of a feature.

        Args:
            feat: (N, C, ...) feature.
            dense: Classify every pixel of an (N, C, h, w) map instead of its pooled vector.

        Returns:
            (N, K) logits, or (N, K, h, w) with ``dense``.
        """
        if dense:
            if feat.dim() != 4:
                raise ValueError(f'dense C2KD proxies need (N, C, h, w) features, got shape '
                                 f'{tuple(feat.shape)}')
            hidden = self.act(self.bn(self.conv(feat)))
            return F.conv2d(hidden, self.fc.weight[:, :, None, None], self.fc.bias)
        pooled = feat.flatten(2).mean(dim=2) if feat.dim() > 2 else feat
        hidden = self.act(self.bn(self.conv(pooled[:, :, None, None])))
        return self.fc(hidden.flatten(1))


@MODELS.register_module()
class C2KDLoss(nn.Module):
    """C2KD's proxy and on-the-fly-selected bidirectional distillation terms.

    Args:
        student_channels: Channels of the student feature.
        teacher_channels: Channels of the teacher feature.
        num_classes: Number of classes K.
        proxy_channels: Hidden width of both proxy heads; defaults to each input's channels.
        kendall_threshold: Keep a sample when τ(proxyᵀ, proxyˢ) exceeds this. Defaults to 0.0.
        non_target: ``'zero_logit'`` (official code, which produced the published numbers)
            or ``'remove'`` (the paper's text), see the module docstring. Defaults to
            ``'zero_logit'``.
        loss_weight: Multiplier of all three terms. Defaults to 1.0.
        ignore_index: Label of the pixels dense C2KD skips. Defaults to 255.
    """

    def __init__(self, student_channels: int, teacher_channels: int, num_classes: int,
                 proxy_channels: Optional[int] = None, kendall_threshold: float = 0.0,
                 non_target: Literal['remove', 'zero_logit'] = 'zero_logit',
                 loss_weight: float = 1.0, ignore_index: int = 255) -> None:
        super().__init__()
        if non_target not in ('remove', 'zero_logit'):
            raise ValueError(f"non_target must be 'remove' or 'zero_logit', got {non_target!r}")
        self.student_proxy = C2KDProxyHead(student_channels, num_classes, proxy_channels)
        self.teacher_proxy = C2KDProxyHead(teacher_channels, num_classes, proxy_channels)
        self.kendall_threshold = kendall_threshold
        self.non_target = non_target
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels

    def input_channels(self) -> dict[str, int]:
        """The widths of the two features (checked by the distiller)."""
        return dict(student_feat=self.student_channels, teacher_feat=self.teacher_channels)

    def _non_target_logits(self, logits: Tensor, target: Tensor) -> Tensor:
        """Logits whose softmax is the non-target distribution (see ``non_target``)."""
        if self.non_target == 'remove':
            return logits.gather(1, non_target_indices(target, logits.shape[1]))
        gt_mask = torch.zeros_like(logits, dtype=torch.bool).scatter_(1, target[:, None], True)
        return logits.masked_fill(gt_mask, 0.0)

    def forward(self, student_feat: Tensor, teacher_feat: Tensor, student_logits: Tensor,
                teacher_logits: Tensor, target: Tensor) -> dict[str, Tensor]:
        """Compute the C2KD terms.

        Args:
            student_feat: Student feature (N, C_s, ...) fed to the student proxy.
            teacher_feat: Teacher feature (N, C_t, ...) fed to the teacher proxy; not detached
                (the teacher is trained in C2KD).
            student_logits: (N, K) logits of the student's own head, or (N, K, H, W) for the
                dense form.
            teacher_logits: Logits of the teacher's own head, same layout (a dense map may
                have another resolution); not detached.
            target: (N,) class ids, or (N, H, W) label maps.

        Returns:
            ``loss_student_proxy``, ``loss_teacher_proxy`` and ``loss_proxy_distill``
            (see the module docstring), each scalar.
        """
        if student_logits.dim() == 4:
            return self._dense(student_feat, teacher_feat, student_logits, teacher_logits,
                               target)
        if student_logits.dim() != 2 or student_logits.shape != teacher_logits.shape:
            raise ValueError(f'expected (N, K) or (N, K, H, W) student and teacher logits of '
                             f'the same shape, got {tuple(student_logits.shape)} and '
                             f'{tuple(teacher_logits.shape)}')
        proxy_student = self.student_proxy(student_feat)
        proxy_teacher = self.teacher_proxy(teacher_feat)
        rows = torch.ones(student_logits.shape[0], device=student_logits.device)
        return self._terms(student_logits.float(), teacher_logits.float(), proxy_student.float(),
                           proxy_teacher.float(), target.reshape(-1).long(), rows)

    def _dense(self, student_feat: Tensor, teacher_feat: Tensor, student_logits: Tensor,
               teacher_logits: Tensor, target: Tensor) -> dict[str, Tensor]:
        """The per-pixel form: one row per pixel of the student's logit grid."""
        proxy_student = match_grid(self.student_proxy(student_feat, dense=True), student_logits)
        proxy_teacher = match_grid(self.teacher_proxy(teacher_feat, dense=True), student_logits)
        student_rows, teacher_rows, target_rows, valid = logits_to_rows(
            student_logits, teacher_logits, target, self.ignore_index)
        proxy_student_rows, proxy_teacher_rows, _, _ = logits_to_rows(proxy_student,
                                                                      proxy_teacher)
        return self._terms(student_rows, teacher_rows, proxy_student_rows, proxy_teacher_rows,
                           target_rows, valid)

    def _terms(self, student_logits: Tensor, teacher_logits: Tensor, proxy_student: Tensor,
               proxy_teacher: Tensor, target: Tensor, weights: Tensor) -> dict[str, Tensor]:
        """The three terms from (M, K) rows (samples or pixels) and their (M,) 0/1 weights."""

        def mutual_kl(a: Tensor, b: Tensor) -> Tensor:
            # KL(b ‖ a) trains a, KL(a ‖ b) trains b; mean over the counted rows.
            return (weighted_mean(kl_rows(a, b.detach()), weights)
                    + weighted_mean(kl_rows(b, a.detach()), weights))

        keep = (kendall_tau(proxy_teacher, proxy_student) > self.kendall_threshold).float()
        nt_student = self._non_target_logits(proxy_student, target)
        nt_teacher = self._non_target_logits(proxy_teacher, target)
        proxy_distill = weighted_mean(keep * (kl_rows(nt_student, nt_teacher.detach())
                                              + kl_rows(nt_teacher, nt_student.detach())),
                                      weights)
        return dict(
            loss_student_proxy=self.loss_weight * mutual_kl(proxy_student, student_logits),
            loss_teacher_proxy=self.loss_weight * mutual_kl(proxy_teacher, teacher_logits),
            loss_proxy_distill=self.loss_weight * proxy_distill)

    def extra_repr(self) -> str:
        return (f'kendall_threshold={self.kendall_threshold}, '
                f'non_target={self.non_target!r}, loss_weight={self.loss_weight}')
