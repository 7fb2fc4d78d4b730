"""Frequency decoupling of features along the feature dimension (METHOD.md, Eq. 1-3)."""
import math
from typing import Literal

import torch
from torch import Tensor, nn

from fdkd_mm.models.decouplers._float32 import decouple_in_float32
from fdkd_mm.models.decouplers._filtering import resolve_method, split_bands
from fdkd_mm.registry import MODELS


def band_bins(dim: int, cutoff: float) -> tuple[range, range]:
    """Return the rfft bins kept in the low and the high band.

    Bin 0 (DC) belongs to neither band: dropping it is the mean subtraction of the feature
    standardization. Of the ``dim // 2`` remaining bins, the lowest ``floor(cutoff * n)`` form
    the low band and the rest the high band (``dim = 512`` → bins 1..128 and 129..256).

    Args:
        dim: Feature width D.
        cutoff: Fraction of the non-DC bins that go to the low band, in (0, 1).

    Returns:
        The low-band and high-band bin indices.

    Raises:
        ValueError: If ``dim < 4``, ``cutoff`` is outside (0, 1) or a band would be empty.
    """
    if not 0.0 < cutoff < 1.0:
        raise ValueError(f'cutoff must lie in (0, 1), got {cutoff}')
    if dim < 4:
        raise ValueError(f'frequency decoupling needs a feature width D >= 4, got D={dim}')
    num_bins = dim // 2  # non-DC rfft bins: 1 .. dim // 2
    num_low = math.floor(cutoff * num_bins + 1e-9)
    if num_low == 0 or num_low == num_bins:
        raise ValueError(
            f'cutoff={cutoff} leaves an empty {"low" if num_low == 0 else "high"} band for '
            f'D={dim} ({num_bins} non-DC frequency bins)')
    return range(1, num_low + 1), range(num_low + 1, num_bins + 1)


def band_masks(dim: int, cutoff: float, device=None) -> Tensor:
    """Binary masks over the ``dim // 2 + 1`` rfft bins, stacked as (2, bins): low, high."""
    low, high = band_bins(dim, cutoff)
    masks = torch.zeros(2, dim // 2 + 1, device=device)
    masks[0, low.start:low.stop] = 1.0
    masks[1, high.start:high.stop] = 1.0
    return masks


def band_projection(dim: int, cutoff: float, device=None) -> Tensor:
    """The decoupling as one real matrix ``P = [P_low, P_high]`` of shape (D, 2D).

    Band filtering is linear and real, so ``x @ P_band`` equals
    ``irfft(rfft(x) * M_band, n=D)`` for every row vector ``x``; row ``j`` of ``P_band`` is the
    filtered basis vector ``e_j``. Computed in float64, so the fp32 copy is exact to rounding.

    Args:
        dim: Feature width D.
        cutoff: Low-band fraction of the non-DC bins.
        device: Where to put the matrix.

    Returns:
        Float32 tensor of shape (D, 2D).
    """
    masks = band_masks(dim, cutoff).double()
    spectrum = torch.fft.rfft(torch.eye(dim, dtype=torch.float64), dim=1)  # (D, bins)
    bands = torch.fft.irfft(spectrum[:, None, :] * masks, n=dim, dim=-1)  # (D, 2, D)
    return bands.reshape(dim, 2 * dim).float().to(device)


@MODELS.register_module()
class FrequencyDecoupler(nn.Module):
    """Split features into low- and high-frequency bands along dim 1.

    ``X_low = irfft(rfft(X) * M_low)``, ``X_high = irfft(rfft(X) * M_high)`` with the DC bin in
    neither mask, so ``X_low + X_high = X - mean(X, dim=1)``. Works on vectors (N, D) and on dense
    maps (N, D, H, W), where each pixel's D-vector is transformed. Only the low band is filtered;
    the high band is computed as ``X - mean(X) - X_low``, which is the same band exactly (up to
    float32 rounding) at half the transform cost.

    Decoupling always runs in at least float32, also under autocast (rfft in half precision is
    restricted), and the bands come back in the input dtype (the contract every decoupler
    shares: :func:`decouple_in_float32`).

    Args:
        cutoff: Fraction of the non-DC bins assigned to the low band. Defaults to 0.5.
        method: ``'fft'`` (rfft, low mask, irfft), ``'matmul'`` (one product with the
            precomputed (D, D) low-band projection, fastest for small D) or ``'auto'``
            (matmul up to D=128 on CPU, D=1024 elsewhere). All three give the same bands to
            float32 rounding.
    """

    def __init__(self, cutoff: float = 0.5,
                 method: Literal['auto', 'fft', 'matmul'] = 'auto') -> None:
        super().__init__()
        if not 0.0 < cutoff < 1.0:
            raise ValueError(f'cutoff must lie in (0, 1), got {cutoff}')
        if method not in ('auto', 'fft', 'matmul'):
            raise ValueError(f"method must be 'auto', 'fft' or 'matmul', got {method!r}")
        self.cutoff = cutoff
        self.method = method
        self._cache: dict[tuple, Tensor] = {}

    def extra_repr(self) -> str:
        return f'cutoff={self.cutoff}, method={self.method!r}'

    def _cached(self, kind: str, dim: int, device: torch.device) -> Tensor:
        """The low band's filter for :func:`split_bands`, built once per (D, device): its (D, D)
        projection, or its rfft mask as a (1, bins) row."""
        key = (kind, dim, device)
        if key not in self._cache:
            if kind == 'matmul':
                self._cache[key] = band_projection(dim, self.cutoff, device)[:, :dim].contiguous()
            else:
                self._cache[key] = band_masks(dim, self.cutoff, device=device)[:1]
        return self._cache[key]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Decouple ``x`` into its two bands.

        Args:
            x: Features of shape (N, D) or (N, D, H, W).

        Returns:
            ``(low, high)``, each shaped and typed like ``x``.
        """
        if x.dim() not in (2, 4):
            raise ValueError(
                f'FrequencyDecoupler expects (N, D) or (N, D, H, W) features, got shape '
                f'{tuple(x.shape)}')
        dim = x.shape[1]
        band_bins(dim, self.cutoff)  # validates D for this cutoff with a clear message
        method = resolve_method(self.method, dim, x.device)
        filters = self._cached(method, dim, x.device)
        # Only the low band is filtered; the high band is the centred input minus it.
        return decouple_in_float32(x, lambda features: split_bands(features, method, filters))
