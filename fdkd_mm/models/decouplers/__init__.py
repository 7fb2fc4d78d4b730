"""Alternative band decouplers for the open questions of FD-CMKD (METHOD.md leaves them open).

Every decoupler has the forward contract of :class:`fdkd_mm.models.FrequencyDecoupler`: it takes
(N, D) or (N, D, H, W) features and returns a tuple of bands shaped and typed like the input,
computed in float32 (also under autocast), with the DC component in no band. Decouplers with
other than two bands name them in ``band_names`` so the distiller can key its losses by band.
"""
from .learnable import LearnableFrequencyDecoupler, soft_band_masks
from .multi_band import MultiBandDecoupler, multi_band_bins, multi_band_masks
from .spatial import SpatialFrequencyDecoupler, radial_band_masks

__all__ = ['LearnableFrequencyDecoupler', 'MultiBandDecoupler', 'SpatialFrequencyDecoupler',
           'multi_band_bins', 'multi_band_masks', 'radial_band_masks', 'soft_band_masks']
