"""Engine components (hooks) of fdkd_mm."""
from .hooks import (AtomicCheckpointHook, BadSampleReportHook, DecouplerTemperatureHook,
                    NonFiniteLossGuardHook, RNGStateHook, TaskVisualizationHook)

__all__ = ['AtomicCheckpointHook', 'BadSampleReportHook', 'DecouplerTemperatureHook',
           'NonFiniteLossGuardHook', 'RNGStateHook', 'TaskVisualizationHook']
