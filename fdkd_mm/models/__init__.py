"""Models of fdkd_mm; importing this package registers them."""
from . import (backbones, banks, connectors, data_preprocessors, decouplers,  # noqa: F401
               distillers, flatten_neck, fusion, heads, losses, teachers)
from .decouplers import FrequencyDecoupler, band_bins
from .recorders import FeatureRecorder, ParameterRecorder

__all__ = ['FeatureRecorder', 'FrequencyDecoupler', 'ParameterRecorder', 'band_bins']
