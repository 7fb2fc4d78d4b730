"""Multi-level discrete wavelet bands along the feature dimension (the paper's open question 2).

A DWT splits a D-vector into an approximation (the coarsest, lowest frequencies) and one detail
level per scale. Each band here is the *reconstruction* of one coefficient group with the
others zeroed, so every band is a D-vector again (the shared heads and band losses apply as to
the Fourier bands) and the bands sum to the input: the perfect reconstruction of the DWT.
As the Fourier decouplers drop the DC bin, the input is centred first (its mean is in no band),
so every band has zero mean along dim 1.

The transforms are fixed linear maps of the D coordinates, so each band is one (D, D) matrix,
derived once per width from PyWavelets' ``wavedec`` / ``waverec`` (periodized, so the transform
is orthogonal and exactly invertible for D divisible by 2^levels) and applied as one product,
which back-propagates like any other and needs no wavelet code on the device.
"""
import numpy as np
import torch
from torch import Tensor

from fdkd_mm.models.decouplers._filtering import split_bands
from fdkd_mm.models.decouplers.base import BaseDecoupler
from fdkd_mm.registry import MODELS


def wavelet_band_projections(dim: int, wavelet: str, levels: int) -> Tensor:
    """The ``levels + 1`` band filters of a periodized DWT of width ``dim``, on centred input.

    Args:
        dim: Feature width D; must be divisible by ``2 ** levels``.
        wavelet: A PyWavelets discrete wavelet name (``'haar'``, ``'db2'``, ``'sym4'`` ...).
        levels: Decomposition levels L >= 1.

    Returns:
        Float64 tensor (L + 1, D, D): ``x_centred @ P[b]`` is band b, approximation first, then
        the details from the coarsest level to the finest.

    Raises:
        ValueError: For an unknown wavelet, or a width the levels cannot split.
    """
    import pywt  # only needed when a wavelet decoupler is built
    if wavelet not in pywt.wavelist(kind='discrete'):
        raise ValueError(f'unknown discrete wavelet {wavelet!r}; e.g. haar, db2, db4, sym4, '
                         'coif1 (pywt.wavelist(kind="discrete") lists all)')
    if levels < 1 or dim % (2 ** levels) or dim // 2 ** levels < 1:
        raise ValueError(f'a {levels}-level wavelet decoupling needs a feature width D '
                         f'divisible by 2^{levels} = {2 ** levels}, got D={dim}')
    basis = np.eye(dim)
    coefficients = pywt.wavedec(basis, wavelet, mode='periodization', level=levels, axis=1)
    bands = []
    for keep in range(len(coefficients)):
        only = [c if i == keep else np.zeros_like(c) for i, c in enumerate(coefficients)]
        bands.append(pywt.waverec(only, wavelet, mode='periodization', axis=1)[:, :dim])
    centring = np.eye(dim) - np.full((dim, dim), 1.0 / dim)
    return torch.from_numpy(np.stack([centring @ band for band in bands]))


@MODELS.register_module()
class WaveletDecoupler(BaseDecoupler):
    """Split features along dim 1 into DWT bands: ``approx``, ``detail{L}`` .. ``detail1``.

    ``approx`` holds the coarsest scale (lowest frequencies) and ``detail1`` the finest, so the
    bands are ordered lowest first as in the Fourier decouplers (the FD-CMKD loss aligns the
    first band strongly and the others weakly unless told otherwise).

    Args:
        wavelet: PyWavelets wavelet name. Defaults to ``'haar'``; ``'db2'`` (4 taps) or longer
            filters separate the scales more sharply.
        levels: Decomposition levels L (L + 1 bands). Defaults to 1 (two bands, as the paper's
            split).
    """

    def __init__(self, wavelet: str = 'haar', levels: int = 1) -> None:
        super().__init__()
        if not isinstance(levels, int) or isinstance(levels, bool) or levels < 1:
            raise ValueError(f'levels must be a positive integer, got {levels!r}')
        wavelet_band_projections(2 ** levels, wavelet, levels)  # validates the name early
        self.wavelet = wavelet
        self.levels = levels
        self._cache: dict[tuple, Tensor] = {}

    @property
    def band_names(self) -> tuple[str, ...]:
        return ('approx',) + tuple(f'detail{level}' for level in range(self.levels, 0, -1))

    def extra_repr(self) -> str:
        return f'wavelet={self.wavelet!r}, levels={self.levels}'

    def check_input(self, x: Tensor) -> None:
        super().check_input(x)
        if x.shape[1] % (2 ** self.levels):
            raise ValueError(f'{type(self).__name__}(levels={self.levels}) needs a feature '
                             f'width divisible by {2 ** self.levels}, got shape '
                             f'{tuple(x.shape)}')

    def _filters(self, dim: int, device: torch.device, dtype: torch.dtype) -> Tensor:
        """The lower bands' filters stacked for :func:`split_bands`: ((K-1)*D, D), built once
        per (D, device, dtype) from the float64 projections."""
        key = (dim, device, dtype)
        if key not in self._cache:
            projections = wavelet_band_projections(dim, self.wavelet, self.levels)[:-1]
            # split_bands applies block i as x @ block_i.T (per pixel: block_i @ x).
            stacked = torch.cat([p.t() for p in projections])
            self._cache[key] = stacked.to(device=device, dtype=dtype)
        return self._cache[key]

    def split(self, x: Tensor) -> tuple[Tensor, ...]:
        return split_bands(x, 'matmul', self._filters(x.shape[1], x.device, x.dtype))
