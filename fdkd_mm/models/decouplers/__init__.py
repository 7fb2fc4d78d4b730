"""Decouplers: one family behind :class:`BaseDecoupler`, each splitting features into bands.

Every decoupler takes (N, D) or (N, D, H, W) features and returns a tuple of bands shaped and
typed like the input, computed in float32 (also under autocast), named by ``band_names``
(lowest first) so the FD-CMKD loss keys its band losses and heads by them.
"""
from .base import BaseDecoupler, decouple_in_float32
from .frequency import FrequencyDecoupler, band_bins, band_masks, band_projection
from .learnable import LearnableFrequencyDecoupler, soft_band_masks
from .multi_band import (MultiBandDecoupler, multi_band_bins, multi_band_masks,
                         multi_band_projection)
from .spatial import SpatialFrequencyDecoupler, radial_band_masks
from .wavelet import WaveletDecoupler, wavelet_band_projections

__all__ = ['BaseDecoupler', 'FrequencyDecoupler', 'LearnableFrequencyDecoupler',
           'MultiBandDecoupler', 'SpatialFrequencyDecoupler', 'WaveletDecoupler', 'band_bins',
           'band_masks', 'band_projection', 'decouple_in_float32', 'multi_band_bins',
           'multi_band_masks', 'multi_band_projection', 'radial_band_masks', 'soft_band_masks',
           'wavelet_band_projections']
