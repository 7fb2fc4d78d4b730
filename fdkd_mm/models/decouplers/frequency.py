"""The paper's frequency decoupling along the feature dimension: one cutoff, two bands."""
from typing import Literal

from torch import Tensor

from fdkd_mm.models.decouplers.multi_band import (MultiBandDecoupler, multi_band_bins,
                                                  multi_band_masks, multi_band_projection)
from fdkd_mm.registry import MODELS


def band_bins(dim: int, cutoff: float) -> tuple[range, range]:
    """The rfft bins of the low and the high band (see :func:`multi_band_bins`).

    Args:
        dim: Feature width D.
        cutoff: Fraction of the non-DC bins that go to the low band, in (0, 1).

    Returns:
        The low-band and high-band bin indices (``dim = 512``: 1..128 and 129..256).
    """
    low, high = multi_band_bins(dim, (cutoff,), ('low', 'high'))
    return low, high


def band_masks(dim: int, cutoff: float, device=None) -> Tensor:
    """Binary masks over the ``dim // 2 + 1`` rfft bins, stacked as (2, bins): low, high."""
    return multi_band_masks(dim, (cutoff,), device)


def band_projection(dim: int, cutoff: float, device=None) -> Tensor:
    """The decoupling as one real matrix ``P = [P_low, P_high]`` of shape (D, 2D)."""
    return multi_band_projection(dim, (cutoff,), device)


@MODELS.register_module()
class FrequencyDecoupler(MultiBandDecoupler):
    """Split features into low- and high-frequency bands along dim 1 (Eq. 1-3).

    ``X_low = irfft(rfft(X) * M_low)``, ``X_high = irfft(rfft(X) * M_high)`` with the DC bin in
    neither mask, so ``X_low + X_high = X - mean(X, dim=1)``. Works on vectors (N, D) and on
    dense maps (N, D, H, W), where each pixel's D-vector is transformed. The one-cutoff case of
    :class:`MultiBandDecoupler`, with bands named ``low`` and ``high``.

    Args:
        cutoff: Fraction of the non-DC bins assigned to the low band. Defaults to 0.5.
        method: ``'fft'``, ``'matmul'`` or ``'auto'`` (see :class:`MultiBandDecoupler`).
    """

    def __init__(self, cutoff: float = 0.5,
                 method: Literal['auto', 'fft', 'matmul'] = 'auto') -> None:
        super().__init__(cutoffs=(cutoff,), method=method)

    @property
    def cutoff(self) -> float:
        return self.cutoffs[0]

    @property
    def band_names(self) -> tuple[str, ...]:
        return ('low', 'high')

    def extra_repr(self) -> str:
        return f'cutoff={self.cutoff}, method={self.method!r}'

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Decouple ``x`` into ``(low, high)``, each shaped and typed like ``x``."""
        low, high = super().forward(x)
        return low, high
