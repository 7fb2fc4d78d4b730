"""MGDFR: distil only the modality-general decisive features of a co-trained teacher.

Method: "modality-general decisive feature" selection of C2KD's precursor line, as MST-Distill's
benchmark implements it (Gray-OREO/MST-Distill, ``KD_methods/MGDFR.py`` and ``main-MGDFR.py``).
Three stages, each a piece here:

1. **Co-training** (:class:`MGDFRCoTrainLoss`, teacher trainable, both from scratch): each
   network's CE plus ``MSE(zᵗ, zˢ)``, gradients to both.
2. **Salience** (:class:`MGDFRSalience`, run by ``tools/mgdfr_salience.py`` over the training
   set with the co-trained pair in eval mode): for every channel c of the teacher's feature,
   shuffle that channel across the batch and measure ``MSE(zᵗ_c-shuffled, zˢ)``; average over
   ``repeats`` shuffles and the data, then min-max normalise:
   ``σ_c = (s_c − min s) / (max s − min s)``. High σ_c: shuffling c breaks the agreement with
   the other modality, so c carries what both modalities share.
3. **KD** (:class:`MGDFRLoss`, student from scratch, the co-trained teacher frozen): the
   ``ratio`` (0.75) fraction of channels with the lowest σ are replaced by their batch mean in
   the teacher's feature ("freeze"), and the student learns from the resulting logits:
   ``L = τ² · 1/N Σ_n KL(σ(z̃ᵗ_n / τ) ‖ σ(zˢ_n / τ))``, τ = 4.

The official hooks replace the feature inside the teacher and rerun its classifier. The
teacher's classifier here is linear on the recorded feature (``logits = W · pool(f) + b``;
pooling commutes with the batch mean), so the frozen logits are computed exactly from the
recorded feature and the classifier's parameters: ``z̃ = W · f̃ + b``, and the shuffled logits
of stage 2 for all channels at once from ``zᵗ + Δ_c W_c``. Dense (NYU) features are maps and
``W`` a 1×1 convolution: the same per pixel.
"""
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
from fdkd_mm.errors import ConfigError, DataError
from fdkd_mm.models.resize import match_grid
from fdkd_mm.registry import MODELS

from .utils import kl_rows, logits_to_rows, weighted_mean


def linear_head(feat: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
    """Apply a linear classifier to (N, C) vectors or, as a 1×1 conv, to (N, C, H, W) maps."""
    weight = weight.reshape(weight.shape[0], -1)
    if feat.dim() == 2:
        return F.linear(feat, weight, bias)
    out = torch.einsum('nchw,kc->nkhw', feat, weight)
    return out if bias is None else out + bias[None, :, None, None]


@MODELS.register_module()
class MGDFRCoTrainLoss(nn.Module):
    """Stage 1: ``MSE(zᵗ, zˢ)`` with gradients to both networks (teacher trainable).

    Args:
        loss_weight: Multiplier. Defaults to 1.0 (the official co-training sums CE_t, CE_s
            and this term).
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, student_logits: Tensor, teacher_logits: Tensor) -> Tensor:
        """Mean squared difference of the logits (dense: on the student's grid)."""
        teacher_logits = match_grid(teacher_logits, student_logits)
        return self.loss_weight * F.mse_loss(teacher_logits, student_logits)


@MODELS.register_module()
class MGDFRSalience(nn.Module):
    """Stage 2: accumulate each teacher channel's shuffle salience over batches.

    Used as the only "loss" of the co-trained distiller by ``tools/mgdfr_salience.py``: its
    mapping makes the distiller record what it reads; it returns no loss term.

    Args:
        repeats: Shuffles per channel and batch. Defaults to 10 (the official
            ``--repeat_permute``).
        seed: Seed of the shuffles. Defaults to 0.
    """

    def __init__(self, repeats: int = 10, seed: int = 0) -> None:
        super().__init__()
        self.repeats = repeats
        self.generator = torch.Generator().manual_seed(seed)
        self.register_buffer('total', torch.zeros(0, dtype=torch.float64))

    @torch.no_grad()
    def forward(self, teacher_feat: Tensor, head_weight: Tensor, student_logits: Tensor,
                head_bias: Optional[Tensor] = None) -> dict:
        """Add this batch's per-channel MSE, averaged over ``repeats`` shuffles.

        Args:
            teacher_feat: (N, C) pooled or (N, C, H, W) teacher feature (the classifier's input).
            head_weight: The teacher classifier's weight, (K, C) or (K, C, 1, 1).
            student_logits: (N, K) or (N, K, H', W') (resampled onto the teacher's grid).
            head_bias: The classifier's bias (K,), if it has one.

        Returns:
            An empty dict (no loss term).
        """
        feat = teacher_feat.double()
        weight = head_weight.double().reshape(head_weight.shape[0], -1)
        bias = None if head_bias is None else head_bias.double()
        residual = linear_head(feat, weight, bias) - match_grid(student_logits.double(),
                                                                 teacher_feat)
        spatial = feat.shape[2:]
        count = residual.numel()
        if self.total.numel() == 0:
            self.total = feat.new_zeros(feat.shape[1])
        # MSE_c = 1/count Σ (r + Δ_c W_c)² = (Σ r² + 2 Σ Δ_c (Wᵀ r)_c + Σ Δ_c² ‖W_c‖²) / count
        r_w = torch.einsum('nk...,kc->nc...', residual, weight)
        w_sq = weight.pow(2).sum(dim=0)
        batch = torch.zeros_like(self.total)
        for _ in range(self.repeats):
            order = torch.stack([torch.randperm(len(feat), generator=self.generator)
                                 for _ in range(feat.shape[1])], dim=1)  # (N, C)
            index = order.reshape(*order.shape, *([1] * len(spatial))).expand_as(feat)
            delta = feat.gather(0, index.to(feat.device)) - feat
            cross = (delta * r_w).flatten(2).sum(-1) if spatial else delta * r_w
            sq = delta.pow(2).flatten(2).sum(-1) if spatial else delta.pow(2)
            batch += (residual.pow(2).sum() + 2 * cross.sum(0) + sq.sum(0) * w_sq) / count
        self.total += batch / self.repeats
        return {}

    def salience(self) -> Tensor:
        """Min-max normalised salience of every channel (float32)."""
        if self.total.numel() == 0:
            raise RuntimeError('MGDFRSalience has seen no batch')
        span = (self.total.max() - self.total.min()).clamp_min(1e-30)
        return ((self.total - self.total.min()) / span).float()


@MODELS.register_module()
class MGDFRLoss(nn.Module):
    """Stage 3: KD from the teacher logits with its low-salience feature channels frozen.

    Args:
        salience_file: The ``.pth`` tensor (C,) written by ``tools/mgdfr_salience.py``;
            read (weights only) on the first step unless a checkpoint brought the salience.
        ratio: Fraction of channels frozen (the lowest salience). Defaults to 0.75.
        temperature: τ. Defaults to 4.0 (MST-Distill's ``distillation_loss``).
        loss_weight: Multiplier. Defaults to 1.0.
        ignore_index: Label of ignored pixels for dense logits. Defaults to 255.
    """

    def __init__(self, salience_file: Optional[str] = None, ratio: float = 0.75,
                 temperature: float = 4.0, loss_weight: float = 1.0,
                 ignore_index: int = 255) -> None:
        super().__init__()
        if not 0 <= ratio < 1:
            raise ConfigError(f'MGDFRLoss ratio must be in [0, 1), got {ratio}')
        self.salience_file = salience_file
        self.ratio = ratio
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self.register_buffer('salience', torch.zeros(0))

    def set_salience(self, salience: Tensor) -> None:
        """Use ``salience`` (C,) from now on (it is saved with checkpoints)."""
        salience = torch.as_tensor(salience).detach().reshape(-1).float()
        if salience.numel() == 0 or not torch.isfinite(salience).all():
            raise DataError(f'MGDFR salience must be a non-empty finite vector, got '
                            f'{tuple(salience.shape)}')
        self.salience = salience.to(self.salience.device)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args) -> None:
        saved = state_dict.get(prefix + 'salience')
        if saved is not None and self.salience.shape != saved.shape:
            self.salience = torch.empty_like(saved, device=self.salience.device)
        super()._load_from_state_dict(state_dict, prefix, *args)

    def _ensure_salience(self, channels: int) -> None:
        if self.salience.numel() == 0:
            if self.salience_file is None or not Path(self.salience_file).is_file():
                raise ConfigError(
                    f'MGDFRLoss has no salience: salience_file {self.salience_file!r} does not '
                    'exist. Co-train the pair (configs/mgdfr/mgdfr-cotrain_*), then run '
                    'tools/mgdfr_salience.py on its checkpoint')
            self.set_salience(load_checkpoint_file(self.salience_file, map_location='cpu'))
        if self.salience.numel() != channels:
            raise DataError(f'MGDFR salience has {self.salience.numel()} channels, the '
                            f'teacher feature {channels}: the salience file '
                            f'{self.salience_file!r} belongs to another teacher')

    def frozen_channels(self) -> Tensor:
        """Indices of the ``ratio`` fraction of channels of lowest salience (stable order)."""
        count = int(self.ratio * self.salience.numel())
        return torch.sort(self.salience, stable=True).indices[:count]

    def forward(self, student_logits: Tensor, teacher_feat: Tensor, head_weight: Tensor,
                head_bias: Optional[Tensor] = None, target: Optional[Tensor] = None) -> Tensor:
        """Compute the KD term from the frozen-channel teacher logits.

        Args:
            student_logits: (N, K) or (N, K, H, W).
            teacher_feat: The teacher classifier's input, (N, C) or (N, C, H', W').
            head_weight: The teacher classifier's weight (K, C) or (K, C, 1, 1).
            head_bias: Its bias (K,), if any.
            target: Optional labels (dense: pixels labelled ``ignore_index`` skipped).

        Returns:
            Scalar loss.
        """
        feat = teacher_feat.detach()
        self._ensure_salience(feat.shape[1])
        frozen = self.frozen_channels().to(feat.device)
        feat = feat.clone()
        feat[:, frozen] = feat[:, frozen].mean(dim=0, keepdim=True)
        bias = None if head_bias is None else head_bias.detach()
        teacher_logits = linear_head(feat, head_weight.detach(), bias)
        student_rows, teacher_rows, _, weights = logits_to_rows(
            student_logits, teacher_logits, target, self.ignore_index)
        kl = kl_rows(student_rows, teacher_rows, self.temperature)
        return self.loss_weight * self.temperature**2 * weighted_mean(kl, weights)

    def extra_repr(self) -> str:
        return (f'ratio={self.ratio}, temperature={self.temperature}, '
                f'loss_weight={self.loss_weight}')
