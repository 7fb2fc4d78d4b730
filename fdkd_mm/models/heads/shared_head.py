"""Classifier heads on band features: the shared Φ_l / Φ_h and the student's auxiliary heads."""
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.models.resize import resize_labels
from fdkd_mm.registry import MODELS


@MODELS.register_module()
class SharedHead(nn.Module):
    """``ReLU → Linear(D, K)`` on (N, D) features, ``ReLU → 1×1 conv`` on (N, D, H, W) maps.

    One set of weights serves both layouts (the 1×1 conv is the linear layer applied per pixel),
    so the same head classifies pooled and dense features. As a *shared* head (Eq. 10 of the
    method, docs/method.md) it classifies student and teacher band features alike, tying their
    feature spaces.

    Args:
        in_channels: Feature width D.
        num_classes: Number of classes K.
        ignore_index: Label value excluded from the dense loss. Defaults to 255.
        loss_weight: Multiplier of the cross-entropy. Defaults to 1.0.
    """

    def __init__(self, in_channels: int, num_classes: int, ignore_index: int = 255,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight

    @property
    def in_channels(self) -> int:
        return self.fc.in_features

    def check_features(self, x: Tensor) -> None:
        """Raise a ValueError naming the shape unless ``x`` is (N, D) or (N, D, H, W)."""
        if x.dim() not in (2, 4) or x.shape[1] != self.fc.in_features:
            raise ValueError(f'{type(self).__name__} expects {self.fc.in_features} channels in '
                             f'dim 1 of (N, D) or (N, D, H, W) features, got features of shape '
                             f'{tuple(x.shape)}')

    def forward(self, x: Tensor) -> Tensor:
        """Return class logits (N, K) or (N, K, H, W)."""
        self.check_features(x)
        logits = stacked_logits([self], x)  # (N, K, 1[, H*W])
        return logits.reshape(x.shape[0], self.fc.out_features, *x.shape[2:])

    def loss(self, x: Tensor, labels: Tensor) -> Tensor:
        """Cross-entropy of the head's prediction on ``x``.

        Args:
            x: Features (N, D) or (N, D, h, w).
            labels: Class indices (N,) for vectors, or label maps (N, H, W) for dense features;
                maps are resized (nearest) to (h, w) and ``ignore_index`` pixels are excluded.

        Returns:
            Weighted scalar loss (0 when every pixel is ignored).
        """
        return head_losses([self], x, labels)[0]


def stacked_logits(heads: Sequence[SharedHead], x: Tensor) -> Tensor:
    """Logits of several heads on the same features, from one ReLU and one product.

    Args:
        heads: h heads with the same (D, K).
        x: Features (N, D) or (N, D, H, W).

    Returns:
        (N, K, h) for vectors, (N, K, h, H*W) for maps: classes in dim 1, as cross-entropy
        takes them, with one slot per head.
    """
    weight = torch.cat([head.fc.weight for head in heads])  # (h*K, D)
    bias = torch.cat([head.fc.bias for head in heads])
    num_heads, batch = len(heads), x.shape[0]
    # Not in place: the band features are also used by the alignment losses.
    x = F.relu(x)
    if x.dim() == 2:
        logits = F.linear(x, weight, bias)
        return logits.view(batch, num_heads, -1).transpose(1, 2)
    # The 1x1 conv as one batched GEMM, W @ x per sample on the (N, D, H*W) view: the same
    # product, but its backward costs a fraction of a convolution kernel's on CPU.
    logits = torch.baddbmm(bias[:, None], weight.expand(batch, -1, -1), x.flatten(2))
    return logits.view(batch, num_heads, -1, logits.shape[-1]).transpose(1, 2)


def head_losses(heads: Sequence[SharedHead], x: Tensor, labels: Tensor) -> list[Tensor]:
    """Each head's weighted cross-entropy on the same features ``x``, computed together.

    Equal to ``[head.loss(x, labels) for head in heads]``; the student's shared and auxiliary
    heads see the same band features, so their ReLU, product and softmax run once for all.

    Args:
        heads: Heads with equal ``in_channels``, ``num_classes`` and ``ignore_index``.
        x: Features (N, D) or (N, D, h, w).
        labels: Class indices (N,) or label maps (N, H, W), resized (nearest) to (h, w).

    Returns:
        One scalar loss per head, in order (0 where every pixel is ignored).
    """
    first = heads[0]
    for head in heads:
        head.check_features(x)
        if (head.fc.out_features, head.ignore_index) != (
                first.fc.out_features, first.ignore_index):
            raise ValueError('heads computed together need the same num_classes and '
                             f'ignore_index, got {head.fc.out_features}/{head.ignore_index} and '
                             f'{first.fc.out_features}/{first.ignore_index}')
    logits = stacked_logits(heads, x)
    if x.dim() == 4:
        labels = resize_labels(labels, x.shape[-2:]).flatten(1)  # (N, h*w)
    per_head_labels = labels.unsqueeze(1).expand(-1, len(heads), *labels.shape[1:])
    per_item = F.cross_entropy(logits.float(), per_head_labels, ignore_index=first.ignore_index,
                               reduction='none')  # (N, heads[, h*w])
    sums = per_item.reshape(*per_item.shape[:2], -1).sum((0, 2))
    # Mean over valid items without a host sync; an all-ignored batch gives 0, not NaN.
    valid = (labels != first.ignore_index).sum().clamp_min(1)
    return [head.loss_weight * total / valid for head, total in zip(heads, sums.unbind())]
