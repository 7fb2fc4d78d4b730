"""Engine components (hooks, visualization backends) of fdkd_mm."""
from .hooks import (AtomicCheckpointHook, BadSampleReportHook, BuildTeacherBankHook,
                    CheckpointMetaHook, DecouplerTemperatureHook, DivergenceError,
                    DivergenceGuardHook, RNGStateHook, TaskVisualizationHook)
from .vis_backends import GroupedTensorboardVisBackend

__all__ = ['AtomicCheckpointHook', 'BadSampleReportHook', 'BuildTeacherBankHook',
           'CheckpointMetaHook', 'DecouplerTemperatureHook', 'DivergenceError',
           'DivergenceGuardHook', 'GroupedTensorboardVisBackend', 'RNGStateHook',
           'TaskVisualizationHook']
