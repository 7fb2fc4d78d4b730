"""K contiguous frequency bands along the feature dimension (Eq. 1-3 of the method, K cuts).

The two-band :class:`~fdkd_mm.models.decouplers.FrequencyDecoupler` of the paper is the case
of one cutoff; more cutoffs answer the paper's open question on finer band splits.
"""
import math
from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor

from fdkd_mm.models.decouplers._filtering import resolve_method, split_bands
from fdkd_mm.models.decouplers.base import BaseDecoupler
from fdkd_mm.registry import MODELS

Method = Literal['auto', 'fft', 'matmul']


def check_cutoffs(cutoffs: Sequence[float]) -> tuple[float, ...]:
    """Return the cutoffs as floats, or raise a ValueError unless they increase within (0, 1)."""
    cutoffs = tuple(float(c) for c in cutoffs)
    if not cutoffs:
        raise ValueError('give at least one cutoff (two bands)')
    if len(cutoffs) == 1 and not 0.0 < cutoffs[0] < 1.0:
        raise ValueError(f'cutoff must lie in (0, 1), got {cutoffs[0]}')
    if any(not 0.0 < c < 1.0 for c in cutoffs) or any(
            a >= b for a, b in zip(cutoffs, cutoffs[1:])):
        raise ValueError(f'cutoffs must increase strictly within (0, 1), got {cutoffs}')
    return cutoffs


def multi_band_bins(dim: int, cutoffs: Sequence[float],
                    band_names: Sequence[str] = ()) -> tuple[range, ...]:
    """Split the non-DC rfft bins ``1 .. dim // 2`` into ``len(cutoffs) + 1`` contiguous bands.

    Bin 0 (DC) belongs to no band: dropping it is the mean subtraction of the feature
    standardization. Band ``i`` ends at bin ``floor(cutoffs[i] * (dim // 2))``, so one cutoff
    of 0.5 with D = 512 gives bins 1..128 (low) and 129..256 (high).

    Args:
        dim: Feature width D.
        cutoffs: Strictly increasing band edges as fractions of the non-DC bins, in (0, 1).
        band_names: Names of the bands for error messages (default ``band0`` ...).

    Returns:
        One ``range`` of bin indices per band, lowest band first.

    Raises:
        ValueError: If the cutoffs are not strictly increasing in (0, 1), ``dim < 4`` or a band
            would be empty.
    """
    cutoffs = check_cutoffs(cutoffs)
    if dim < 4:
        raise ValueError(f'frequency decoupling needs a feature width D >= 4, got D={dim}')
    num_bins = dim // 2
    # +1e-9 so that 0.3 * 10 lands on bin 3 rather than 2.999... -> 2.
    edges = [0] + [math.floor(c * num_bins + 1e-9) for c in cutoffs] + [num_bins]
    bands = tuple(range(lo + 1, hi + 1) for lo, hi in zip(edges, edges[1:]))
    empty = [i for i, band in enumerate(bands) if len(band) == 0]
    if empty:
        names = list(band_names) or [f'band{i}' for i in range(len(bands))]
        listed = ', '.join(names[i] for i in empty)
        raise ValueError(f'cutoffs {cutoffs} leave an empty {listed} band for D={dim} '
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
    """All K band filters as one real (D, K*D) matrix ``[P_0, ..., P_{K-1}]``.

    Band filtering is linear and real, so ``x @ P_i`` equals ``irfft(rfft(x) * M_i, n=D)`` for
    every row vector ``x``; row ``j`` of ``P_i`` is the filtered basis vector ``e_j``. Computed
    in float64, so the float32 copy is exact to rounding.

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
class MultiBandDecoupler(BaseDecoupler):
    """Split features into K contiguous frequency bands along dim 1.

    ``cutoffs=(0.25, 0.5, 0.75)`` gives four bands of a quarter of the non-DC bins each; the
    bands sum to ``X - mean(X, dim=1)``. They are named ``band0`` (lowest) .. ``band{K-1}``.
    Only the K-1 lower bands are filtered; the top band is the centred input minus them, which
    is the same band exactly (up to float32 rounding) without a transform of its own.

    Args:
        cutoffs: Strictly increasing band edges, fractions of the non-DC bins in (0, 1).
        method: ``'fft'`` (rfft, masks, irfft), ``'matmul'`` (one product with the K-1 stacked
            (D, D) filters, fastest for small D) or ``'auto'`` (matmul up to D=128 on CPU,
            D=1024 elsewhere). All give the same bands to float32 rounding.
    """

    def __init__(self, cutoffs: Sequence[float] = (0.25, 0.5, 0.75),
                 method: Method = 'auto') -> None:
        super().__init__()
        self.cutoffs = check_cutoffs(cutoffs)
        if method not in ('auto', 'fft', 'matmul'):
            raise ValueError(f"method must be 'auto', 'fft' or 'matmul', got {method!r}")
        self.method = method
        self._cache: dict[tuple, Tensor] = {}

    @property
    def band_names(self) -> tuple[str, ...]:
        return tuple(f'band{i}' for i in range(len(self.cutoffs) + 1))

    def extra_repr(self) -> str:
        return f'cutoffs={self.cutoffs}, method={self.method!r}'

    def bins(self, dim: int) -> tuple[range, ...]:
        """The rfft bins of each band for width ``dim``, lowest band first."""
        return multi_band_bins(dim, self.cutoffs, self.band_names)

    def check_input(self, x: Tensor) -> None:
        super().check_input(x)
        self.bins(x.shape[1])  # a clear message if D is too narrow for the cutoffs

    def _filters(self, kind: str, dim: int, device: torch.device) -> Tensor:
        """The K-1 lower bands' filters for :func:`split_bands`, built once per (D, device):
        stacked ((K-1)*D, D) projections (each band filter is symmetric, so block i is both
        P_i and its transpose), or their (K-1, bins) rfft masks."""
        key = (kind, dim, device)
        if key not in self._cache:
            if kind == 'matmul':
                projection = multi_band_projection(dim, self.cutoffs, device)[:, :-dim]
                self._cache[key] = projection.t().contiguous()
            else:
                self._cache[key] = multi_band_masks(dim, self.cutoffs, device=device)[:-1]
        return self._cache[key]

    def split(self, x: Tensor) -> tuple[Tensor, ...]:
        method = resolve_method(self.method, x.shape[1], x.device)
        return split_bands(x, method, self._filters(method, x.shape[1], x.device))
