"""The embedding head RKD's and CRD's official code put on features: linear, then L2 norm."""
from torch import Tensor, nn


class L2Embed(nn.Module):
    """Flatten, map linearly to ``out_channels``, divide by the L2 norm (RepDistiller's Embed).

    Trained with the student. No eps in the division, as in the official code.

    Args:
        in_channels: Input width (of the flattened feature).
        out_channels: Embedding width.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_channels, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        """Embed (N, in_channels) rows to unit-norm (N, out_channels) rows."""
        out = self.linear(x.reshape(len(x), -1))
        return out / out.pow(2).sum(dim=1, keepdim=True).sqrt()
