"""Engine components (hooks) of fdkd_mm."""
from .hooks import (AtomicCheckpointHook, BadSampleReportHook, DecouplerTemperatureHook,
                    NonFiniteLossGuardHook, RNGStateHook)

__all__ = ['AtomicCheckpointHook', 'BadSampleReportHook', 'DecouplerTemperatureHook',
           'NonFiniteLossGuardHook', 'RNGStateHook']
