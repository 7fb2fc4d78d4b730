"""Models of fdkd_mm; importing this package registers them."""
from . import (backbones, connectors, data_preprocessors, decouplers, distillers,  # noqa: F401
               losses)
from .frequency import FrequencyDecoupler, band_bins
from .recorders import FeatureRecorder

__all__ = ['FeatureRecorder', 'FrequencyDecoupler', 'band_bins']
