"""Fuse one pooled feature per modality into one vector: concatenation, sum or a small MLP."""
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from fdkd_mm.errors import ConfigError
from fdkd_mm.registry import MODELS

FUSION_MODES = ('concat', 'sum', 'mlp')


@MODELS.register_module()
class FeatureFusion(nn.Module):
    """Late fusion of per-modality feature vectors (N, D_i), in the order of ``in_channels``.

    ``concat`` gives ``[f_1, f_2, ...]`` (width ``sum(D_i)``); ``sum`` gives ``f_1 + f_2 + ...``
    (equal widths, width ``D``); ``mlp`` gives ``ReLU(W [f_1, f_2, ...] + b)`` (width
    ``hidden_channels``), one hidden layer whose output feeds the classifier head.

    The output width is :attr:`out_channels`, so a recorder at this module declares it and a
    distiller checks connector and loss widths against it before any data.

    Args:
        in_channels: Width of each modality's feature, in the order the features are given.
        mode: ``'concat'``, ``'sum'`` or ``'mlp'``.
        hidden_channels: Width of the MLP's hidden (= output) layer; only for ``'mlp'``.

    Raises:
        ConfigError: Unknown mode, fewer than two inputs, unequal widths for ``'sum'``, or
            ``hidden_channels`` missing for ``'mlp'`` / given for another mode.
    """

    def __init__(self, in_channels: Sequence[int], mode: str = 'concat',
                 hidden_channels: int = None) -> None:
        super().__init__()
        if mode not in FUSION_MODES:
            raise ConfigError(f'fusion mode must be one of {FUSION_MODES}, got {mode!r}')
        in_channels = [int(width) for width in in_channels]
        if len(in_channels) < 2 or min(in_channels) < 1:
            raise ConfigError(f'fusion.in_channels needs a positive width per modality (two or '
                              f'more), got {in_channels}')
        if mode == 'sum' and len(set(in_channels)) > 1:
            raise ConfigError(f"fusion mode 'sum' needs equal widths, got in_channels "
                              f"{in_channels}; use 'concat' or 'mlp'")
        if (mode == 'mlp') != (hidden_channels is not None):
            raise ConfigError("fusion.hidden_channels is the width of mode 'mlp' and only of "
                              f'it; got mode {mode!r} with hidden_channels={hidden_channels}')
        self.mode = mode
        self.in_channels = in_channels
        self.mlp = None
        if mode == 'mlp':
            self.mlp = nn.Sequential(nn.Linear(sum(in_channels), hidden_channels), nn.ReLU())
        self.out_channels = {'concat': sum(in_channels), 'sum': in_channels[0],
                             'mlp': hidden_channels}[mode]

    def forward(self, features: Sequence[Tensor]) -> Tensor:
        """Fuse the modalities' features.

        Args:
            features: One (N, D_i) tensor per modality, in the order of ``in_channels``.

        Returns:
            The fused (N, out_channels) tensor.

        Raises:
            ValueError: A feature's shape does not match its declared width (named by index).
        """
        if len(features) != len(self.in_channels):
            raise ValueError(f'FeatureFusion expects {len(self.in_channels)} features, got '
                             f'{len(features)}')
        for index, (feature, width) in enumerate(zip(features, self.in_channels)):
            if feature.dim() != 2 or feature.shape[1] != width:
                raise ValueError(f'fused feature {index} has shape {tuple(feature.shape)}, '
                                 f'expected (N, {width}) (fusion.in_channels)')
        if self.mode == 'sum':
            return torch.stack(list(features)).sum(0)
        fused = torch.cat(list(features), dim=1)
        return fused if self.mlp is None else self.mlp(fused)
