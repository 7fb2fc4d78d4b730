"""Classifier heads on band features: the shared Φ_l / Φ_h and the student's auxiliary heads."""
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.registry import MODELS


def resize_labels(labels: Tensor, size: tuple[int, int]) -> Tensor:
    """Nearest-neighbour resize of (N, H, W) label maps to ``size`` (ignore values survive)."""
    if tuple(labels.shape[-2:]) == tuple(size):
        return labels
    resized = F.interpolate(labels[:, None].float(), size=size, mode='nearest')
    return resized[:, 0].long()


@MODELS.register_module()
class SharedHead(nn.Module):
    """``ReLU → Linear(D, K)`` on (N, D) features, ``ReLU → 1×1 conv`` on (N, D, H, W) maps.

    One set of weights serves both layouts (the 1×1 conv is the linear layer applied per pixel),
    so the same head classifies pooled and dense features. As a *shared* head (METHOD.md, Eq. 10)
    it classifies student and teacher band features alike, tying their feature spaces.

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

    def forward(self, x: Tensor) -> Tensor:
        """Return class logits (N, K) or (N, K, H, W)."""
        if x.shape[1] != self.fc.in_features:
            raise ValueError(f'{type(self).__name__} expects {self.fc.in_features} channels in '
                             f'dim 1, got features of shape {tuple(x.shape)}')
        # Not in place: the band features are also used by the alignment losses.
        x = F.relu(x)
        if x.dim() == 2:
            return self.fc(x)
        return F.conv2d(x, self.fc.weight[:, :, None, None], self.fc.bias)

    def loss(self, x: Tensor, labels: Tensor) -> Tensor:
        """Cross-entropy of the head's prediction on ``x``.

        Args:
            x: Features (N, D) or (N, D, h, w).
            labels: Class indices (N,) for vectors, or label maps (N, H, W) for dense features;
                maps are resized (nearest) to (h, w) and ``ignore_index`` pixels are excluded.

        Returns:
            Weighted scalar loss (0 when every pixel is ignored).
        """
        logits = self(x)
        if logits.dim() == 4:
            labels = resize_labels(labels, logits.shape[-2:])
        per_item = F.cross_entropy(logits.float(), labels, ignore_index=self.ignore_index,
                                   reduction='none')
        # Mean over valid items without a host sync; an all-ignored batch gives 0, not NaN.
        valid = (labels != self.ignore_index).sum().clamp_min(1)
        return self.loss_weight * per_item.sum() / valid
