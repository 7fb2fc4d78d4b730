"""Decoupling over the 2-D spatial spectrum of dense features (open question: which axis)."""
import torch
from torch import Tensor

from fdkd_mm.models.decouplers.base import BaseDecoupler
from fdkd_mm.registry import MODELS


def radial_band_masks(height: int, width: int, cutoff: float, device=None) -> Tensor:
    """Radial low/high masks over the ``rfft2`` bins of an (H, W) map.

    The radius of a bin is its spatial frequency in cycles per pixel,
    ``sqrt(f_y^2 + f_x^2)``, so the split is isotropic on non-square maps. Bins with radius up
    to ``cutoff`` times the largest radius on the grid form the low band, the others the high
    band; the DC bin (radius 0, the spatial mean) is in neither. Both masks depend only on the
    radius, which is symmetric under ``f -> -f``, so the masked spectra stay Hermitian and the
    bands are exactly real.

    Args:
        height: Map height H.
        width: Map width W.
        cutoff: Fraction of the largest radius that bounds the low band, in (0, 1).
        device: Where to put the masks.

    Returns:
        Float tensor of shape (2, H, W // 2 + 1): low mask, high mask.

    Raises:
        ValueError: If ``cutoff`` is outside (0, 1) or a band would be empty.
    """
    if not 0.0 < cutoff < 1.0:
        raise ValueError(f'cutoff must lie in (0, 1), got {cutoff}')
    freq_y = torch.fft.fftfreq(height, dtype=torch.float64)
    freq_x = torch.fft.rfftfreq(width, dtype=torch.float64)
    radius = torch.sqrt(freq_y[:, None] ** 2 + freq_x[None, :] ** 2)
    edge = cutoff * radius.max()
    low = (radius > 0) & (radius <= edge)
    high = radius > edge
    if not low.any() or not high.any():
        raise ValueError(f'cutoff={cutoff} leaves an empty {"low" if not low.any() else "high"} '
                         f'band for a {height}x{width} map')
    return torch.stack([low, high]).float().to(device)


@MODELS.register_module()
class SpatialFrequencyDecoupler(BaseDecoupler):
    """Split dense features (N, C, H, W) into low/high bands of their 2-D spatial spectrum.

    Each channel map is transformed with ``rfft2`` over (H, W) and filtered with the radial
    masks of :func:`radial_band_masks`, so ``low + high = X - mean_{H,W}(X)`` per channel. The
    bands are used exactly like the channel-axis ones (same losses, heads and keys); this is the
    "where is the frequency" alternative for dense features, selected in a config with
    ``decoupler=dict(type='SpatialFrequencyDecoupler', cutoff=0.5)``. Transforms run in float32.

    Args:
        cutoff: Fraction of the largest spatial frequency bounding the low band. Defaults to 0.5.
    """

    #: The bands keep each pixel's channel mean (only the spatial mean is removed), so the
    #: scale standardization must centre them (``FrequencyAlignLoss(centre=True)``).
    zero_channel_mean = False
    accepted_dims = (4,)

    def __init__(self, cutoff: float = 0.5) -> None:
        super().__init__()
        if not 0.0 < cutoff < 1.0:
            raise ValueError(f'cutoff must lie in (0, 1), got {cutoff}')
        self.cutoff = cutoff
        self._cache: dict[tuple, Tensor] = {}

    def extra_repr(self) -> str:
        return f'cutoff={self.cutoff}'

    def _masks(self, height: int, width: int, device: torch.device) -> Tensor:
        key = (height, width, device)
        if key not in self._cache:
            self._cache[key] = radial_band_masks(height, width, self.cutoff, device)
        return self._cache[key]

    @property
    def band_names(self) -> tuple[str, ...]:
        return ('low', 'high')

    def check_input(self, x: Tensor) -> None:
        if x.dim() != 4:
            raise ValueError(f'SpatialFrequencyDecoupler needs dense (N, C, H, W) features, got '
                             f'shape {tuple(x.shape)}; use FrequencyDecoupler for vectors')

    def split(self, x: Tensor) -> tuple[Tensor, Tensor]:
        height, width = x.shape[-2:]
        masks = self._masks(height, width, x.device)
        spectrum = torch.fft.rfft2(x, dim=(-2, -1))
        bands = torch.fft.irfft2(spectrum.unsqueeze(0) * masks[:, None, None],
                                 s=(height, width), dim=(-2, -1))
        return bands[0], bands[1]
