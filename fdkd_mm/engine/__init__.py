"""Engine components (hooks, visualization backends) of fdkd_mm."""
from .hooks import (AtomicCheckpointHook, BadSampleReportHook, DecouplerTemperatureHook,
                    NonFiniteLossGuardHook, RNGStateHook, TaskVisualizationHook)
from .vis_backends import GroupedTensorboardVisBackend

__all__ = ['AtomicCheckpointHook', 'BadSampleReportHook', 'DecouplerTemperatureHook',
           'GroupedTensorboardVisBackend', 'NonFiniteLossGuardHook', 'RNGStateHook',
           'TaskVisualizationHook']
