"""K contiguous frequency bands along the feature dimension (open question 2 of the paper)."""
import math
from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from fdkd_mm.models.decouplers._float32 import decouple_in_float32
from fdkd_mm.models.decouplers._filtering import resolve_method, split_bands
from fdkd_mm.registry import MODELS


def multi_band_bins(dim: int, cutoffs: Sequence[float]) -> tuple[range, ...]:
    """Split the non-DC rfft bins ``1 .. dim // 2`` into ``len(cutoffs) + 1`` contiguous bands.

    Band ``i`` ends at bin ``floor(cutoffs[i] * dim // 2)``, the rule of
    :func:`fdkd_mm.models.frequency.band_bins`, so ``cutoffs=(c,)`` gives exactly its low and
    high bands. Bin 0 (DC) is in no band.

    Args:
        dim: Feature width D.
        cutoffs: Strictly increasing band edges as fractions of the non-DC bins, in (0, 1).

    Returns:
        One ``range`` of bin indices per band, lowest band first.

    Raises:
        ValueError: If the cutoffs are not strictly increasing in (0, 1), ``dim < 4`` or a band
            would be empty.
    """
    cutoffs = tuple(float(c) for c in cutoffs)
    if not cutoffs:
        raise ValueError('give at least one cutoff (two bands)')
    if any(not 0.0 < c < 1.0 for c in cutoffs) or any(
            a >= b for a, b in zip(cutoffs, cutoffs[1:])):
        raise ValueError(f'cutoffs must increase strictly within (0, 1), got {cutoffs}')
    if dim < 4:
        raise ValueError(f'frequency decoupling needs a feature width D >= 4, got D={dim}')
    num_bins = dim // 2
    # The same +1e-9 as band_bins, so 0.3 * 10 lands on bin 3 rather than 2.999... -> 2.
    edges = [0] + [math.floor(c * num_bins + 1e-9) for c in cutoffs] + [num_bins]
    bands = tuple(range(lo + 1, hi + 1) for lo, hi in zip(edges, edges[1:]))
    empty = [i for i, band in enumerate(bands) if len(band) == 0]
    if empty:
        raise ValueError(f'cutoffs {cutoffs} leave band(s) {empty} empty for D={dim} '
                         f'({num_bins} non-DC frequency bins)')
    return bands


def multi_band_masks(dim: int, cutoffs: Sequence[float], device=None) -> Tensor:
    """Binary masks over the ``dim // 2 + 1`` rfft bins, one row per band: shape (K, bins)."""
    bands = multi_band_bins(dim, cutoffs)
    masks = torch.zeros(len(bands), dim // 2 + 1, device=device)
    for row, band in enumerate(bands):
        masks[row, band.start:band.stop] = 1.0
    return masks


def multi_band_projection(dim: int, cutoffs: Sequence[float], device=None) -> Tensor:
    """All K band filters as one real (D, K*D) matrix, built in float64 like ``band_projection``.

    Args:
        dim: Feature width D.
        cutoffs: Band edges (see :func:`multi_band_bins`).
        device: Where to put the matrix.

    Returns:
        Float32 tensor of shape (D, K*D); columns ``i*D:(i+1)*D`` filter band ``i``.
    """
    masks = multi_band_masks(dim, cutoffs).double()
    spectrum = torch.fft.rfft(torch.eye(dim, dtype=torch.float64), dim=1)  # (D, bins)
    bands = torch.fft.irfft(spectrum[:, None, :] * masks, n=dim, dim=-1)  # (D, K, D)
    return bands.reshape(dim, -1).float().to(device)


@MODELS.register_module()
class MultiBandDecoupler(nn.Module):
    """Split features into K contiguous frequency bands along dim 1.

    ``cutoffs=(0.25, 0.5, 0.75)`` gives four bands of a quarter of the non-DC bins each; the
    bands sum to ``X - mean(X, dim=1)``. With one cutoff ``c`` the two bands are exactly
    :class:`~fdkd_mm.models.FrequencyDecoupler`'s low and high bands for ``cutoff=c``. The bands
    are named ``band0`` (lowest) .. ``band{K-1}``: the distiller keys its losses and heads by
    ``band_names``. As in FrequencyDecoupler, only the K-1 lower bands are filtered; the top
    band is the centred input minus them.

    Args:
        cutoffs: Strictly increasing band edges, fractions of the non-DC bins in (0, 1).
        method: ``'fft'``, ``'matmul'`` (one product with the K-1 stacked (D, D) filters) or
            ``'auto'``, resolved as in FrequencyDecoupler.
    """

    def __init__(self, cutoffs: Sequence[float] = (0.25, 0.5, 0.75),
                 method: Literal['auto', 'fft', 'matmul'] = 'auto') -> None:
        super().__init__()
        self.cutoffs = tuple(float(c) for c in cutoffs)
        multi_band_bins(4 * 1024, self.cutoffs)  # validates the ratios early, for any real D
        if method not in ('auto', 'fft', 'matmul'):
            raise ValueError(f"method must be 'auto', 'fft' or 'matmul', got {method!r}")
        self.method = method
        self._cache: dict[tuple, Tensor] = {}

    @property
    def num_bands(self) -> int:
        return len(self.cutoffs) + 1

    @property
    def band_names(self) -> tuple[str, ...]:
        return tuple(f'band{i}' for i in range(self.num_bands))

    def extra_repr(self) -> str:
        return f'cutoffs={self.cutoffs}, method={self.method!r}'

    def _cached(self, kind: str, dim: int, device: torch.device) -> Tensor:
        """The filters of the K-1 lower bands: stacked (K-1)*D x D matrices, or (K-1, bins)
        masks. Each band filter is symmetric, so block i is both P_i and its transpose."""
        key = (kind, dim, device)
        if key not in self._cache:
            if kind == 'matmul':
                projection = multi_band_projection(dim, self.cutoffs, device)[:, :-dim]
                self._cache[key] = projection.t().contiguous()
            else:
                self._cache[key] = multi_band_masks(dim, self.cutoffs, device=device)[:-1]
        return self._cache[key]

    def _split(self, x: Tensor) -> tuple[Tensor, ...]:
        method = resolve_method(self.method, x.shape[1], x.device)
        return split_bands(x, method, self._cached(method, x.shape[1], x.device))

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        """Decouple ``x`` into its K bands.

        Args:
            x: Features of shape (N, D) or (N, D, H, W).

        Returns:
            K tensors shaped and typed like ``x``, lowest band first.
        """
        if x.dim() not in (2, 4):
            raise ValueError(f'MultiBandDecoupler expects (N, D) or (N, D, H, W) features, got '
                             f'shape {tuple(x.shape)}')
        multi_band_bins(x.shape[1], self.cutoffs)  # clear message if D is too narrow
        return decouple_in_float32(x, self._split)
