"""OFD's student transform: a 1×1 conv + BN mapping student channels to the teacher's.

Heo et al., "A Comprehensive Overhaul of Feature Distillation", ICCV 2019; the loss is
:class:`~fdkd_mm.models.losses.OFDLoss`.
"""
import math

from torch import Tensor, nn

from fdkd_mm.registry import MODELS


@MODELS.register_module()
class OFDConnector(nn.Module):
    """OFD student transform: 1×1 conv (no bias) + BN, mapping student to teacher channels.

    Initialised as the official code: conv weights ~ N(0, 2 / (k·k·out)), BN γ = 1, β = 0.
    (N, C) vectors are treated as 1×1 maps.

    Args:
        in_channels: Student channels.
        out_channels: Teacher channels.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        nn.init.normal_(self.conv.weight, 0.0, math.sqrt(2.0 / out_channels))
        nn.init.ones_(self.bn.weight)
        nn.init.zeros_(self.bn.bias)

    def forward(self, feat: Tensor) -> Tensor:
        """Map a (N, C_s[, H, W]) student feature to (N, C_t[, H, W])."""
        if feat.dim() == 2:
            return self.bn(self.conv(feat[:, :, None, None]))[:, :, 0, 0]
        return self.bn(self.conv(feat))
