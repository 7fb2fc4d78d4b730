"""Projection connector: maps features of one width to another (Linear / 1×1 conv + norm)."""
import torch.nn.functional as F
from torch import Tensor, nn

from fdkd_mm.registry import MODELS


@MODELS.register_module()
class ProjectionConnector(nn.Module):
    """``Linear(D_in, D_out)`` (per pixel: 1×1 conv) followed by BatchNorm.

    Used where teacher and student feature widths differ (e.g. BERT 768 vs MobileNetV2 1280),
    and as the FitNet-style student connector of the "Feat" baseline. One weight set serves
    (N, D) vectors and (N, D, H, W) maps.

    Args:
        in_channels: Input width D_in.
        out_channels: Output width D_out.
        norm: Add BatchNorm after the projection. Defaults to True.
    """

    def __init__(self, in_channels: int, out_channels: int, norm: bool = True) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, out_channels, bias=not norm)
        # BatchNorm1d normalises (N, C) and (N, C, L) alike; dense maps are flattened to L.
        self.norm = nn.BatchNorm1d(out_channels) if norm else None

    def forward(self, x: Tensor) -> Tensor:
        """Project (N, D_in[, H, W]) to (N, D_out[, H, W])."""
        if x.shape[1] != self.fc.in_features:
            raise ValueError(f'{type(self).__name__} expects {self.fc.in_features} channels in '
                             f'dim 1, got features of shape {tuple(x.shape)}')
        if x.dim() == 2:
            out = self.fc(x)
        else:
            out = F.conv2d(x, self.fc.weight[:, :, None, None], self.fc.bias)
        if self.norm is not None:
            out = self.norm(out.flatten(2)).view_as(out) if out.dim() == 4 else self.norm(out)
        return out
