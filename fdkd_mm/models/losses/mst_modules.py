"""MST-Distill's two small networks: the feature-masking network and the routing (gate) network.

Both as MST-Distill's official code defines them (Gray-OREO/MST-Distill, ``KD_methods/MST.py``):

* :class:`MSTMaskNet`: a channel mask ``m ∈ (0, 1)^C`` for a teacher feature. The (N, C)
  feature (a (N, C, H, W) map is first reduced by a depthwise 3×3 stride-2 conv, a 1×1 conv,
  BN, ReLU and global average pooling) is embedded by one linear layer into C tokens of width
  ``h = C // (2·heads) · heads``, the tokens attend to each other (multi-head self-attention),
  and a linear layer + sigmoid gives one value per token: ``m = σ(fc(MHA(E(x))))``. The
  embedding has C·h·C weights: the official ``h`` (half the feature width) suits their small
  networks' 160-512-d features but makes a 1024-d feature's embedding 535M weights, so
  ``hidden_factor`` scales ``h`` down (the official code later added such a factor too).
* :class:`MSTGateNet`: the instance-level router, two linear layers (no activation between them,
  as the official ``GateNet``) from the student's logits to one score per specialised teacher.
* :class:`MSTDenseGateNet`: the router of dense (segmentation) students, the official
  ``GateNet_dense``: from the (N, K, H, W) logit map, a 1×1 conv K → 2K, ReLU, a depthwise 3×3
  stride-2 conv, ReLU, global average pooling and a linear layer 2K → one score per teacher.
"""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.errors import ConfigError


class SpatialReduction(nn.Sequential):
    """(N, C, H, W) → (N, C): depthwise 3×3 stride-2 conv, 1×1 conv, BN, ReLU, global average.

    Args:
        channels: C.
    """

    def __init__(self, channels: int) -> None:
        super().__init__(
            nn.Conv2d(channels, channels, 3, stride=2, padding=1, groups=channels, bias=False),
            nn.Conv2d(channels, channels, 1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(1))


class MSTMaskNet(nn.Module):
    """A per-sample channel mask of a teacher feature (MST-Distill's ``MaskNet_1d/_2d``).

    Args:
        channels: C, the feature's channels (one attention token each).
        heads: Attention heads (official ``--mask_head_num``, default 3).
        spatial: The feature is a (N, C, H, W) map (``MaskNet_2d``), reduced to (N, C) first.
        hidden_factor: The token width is ``floor(C · hidden_factor)`` rounded down to a
            multiple of ``heads``; 0.5 (default) is the official ``C // (2·heads) · heads``.

    Raises:
        ConfigError: ``hidden_factor`` not in (0, 1], or a token width of 0.
    """

    def __init__(self, channels: int, heads: int = 3, spatial: bool = False,
                 hidden_factor: float = 0.5) -> None:
        super().__init__()
        if not 0 < hidden_factor <= 1:
            raise ConfigError(f'MSTMaskNet: hidden_factor={hidden_factor} must be in (0, 1]')
        hidden = int(channels * hidden_factor) // heads * heads
        if hidden < 1:
            raise ConfigError(f'MSTMaskNet: channels={channels} gives no token width with '
                              f'heads={heads} and hidden_factor={hidden_factor} (needs '
                              f'channels * hidden_factor >= heads)')
        self.channels = channels
        self.hidden = hidden
        self.reduce = SpatialReduction(channels) if spatial else None
        self.embed = nn.Linear(channels, hidden * channels)
        self.attention = nn.MultiheadAttention(hidden, heads, batch_first=True)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, feat: Tensor) -> Tensor:
        """The mask of a batch of features.

        Args:
            feat: (N, C), (N, C, 1, 1) or, with ``spatial``, (N, C, H, W).

        Returns:
            (N, C) mask values in (0, 1).
        """
        if self.reduce is not None:
            feat = self.reduce(feat)
        elif feat.dim() == 4 and feat.shape[-2:] == (1, 1):
            feat = feat.flatten(1)
        if feat.dim() != 2 or feat.shape[1] != self.channels:
            raise ValueError(f'MSTMaskNet of {self.channels} channels got a feature of shape '
                             f'{tuple(feat.shape)}')
        tokens = self.embed(feat).reshape(feat.shape[0], self.channels, self.hidden)
        attended, _ = self.attention(tokens, tokens, tokens)
        return torch.sigmoid(self.fc(attended).squeeze(-1))


def apply_mask(feat: Tensor, mask: Tensor) -> Tensor:
    """``mask ⊙ feat`` with the (N, C) mask broadcast over any trailing spatial dims."""
    return feat * mask.reshape(*mask.shape, *([1] * (feat.dim() - mask.dim())))


class MSTGateNet(nn.Module):
    """The router: student logits (N, K) → (N, E) scores, ``fc2(fc1(z))``, fc1 of width 2K.

    Args:
        num_classes: K.
        ways: E, the number of specialised teachers.
    """

    def __init__(self, num_classes: int, ways: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(num_classes, 2 * num_classes)
        self.fc2 = nn.Linear(2 * num_classes, ways)

    def forward(self, logits: Tensor) -> Tensor:
        """Routing scores (before the softmax) of each sample."""
        return self.fc2(self.fc1(logits))


class MSTDenseGateNet(nn.Module):
    """The dense router: (N, K, H, W) student logits → (N, E) scores (official ``GateNet_dense``).

    ``fc(GAP(ReLU(dw(ReLU(pw(z))))))``: ``pw`` a 1×1 conv K → 2K, ``dw`` a depthwise 3×3 conv
    of stride 2 and padding 1 on the 2K channels, ``fc`` a linear layer 2K → E; every layer has
    a bias.

    Args:
        num_classes: K.
        ways: E, the number of specialised teachers.
    """

    def __init__(self, num_classes: int, ways: int) -> None:
        super().__init__()
        hidden = 2 * num_classes
        self.num_classes = num_classes
        self.pointwise = nn.Conv2d(num_classes, hidden, 1)
        self.depthwise = nn.Conv2d(hidden, hidden, 3, stride=2, padding=1, groups=hidden)
        self.fc = nn.Linear(hidden, ways)

    def forward(self, logits: Tensor) -> Tensor:
        """Routing scores (before the softmax) of each sample.

        Args:
            logits: (N, K, H, W) student logit maps.

        Returns:
            (N, E) scores.

        Raises:
            ValueError: ``logits`` is not a (N, K, H, W) map.
        """
        if logits.dim() != 4 or logits.shape[1] != self.num_classes:
            raise ValueError(f'MSTDenseGateNet of {self.num_classes} classes needs (N, '
                             f'{self.num_classes}, H, W) logits, got {tuple(logits.shape)}')
        hidden = F.relu(self.depthwise(F.relu(self.pointwise(logits))))
        return self.fc(hidden.mean(dim=(2, 3)))
