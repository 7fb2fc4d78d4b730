"""Engine components (hooks, visualization backends, the bilevel train loops) of fdkd_mm."""
from .bilevel_loops import BilevelEpochBasedTrainLoop, BilevelIterBasedTrainLoop
from .hooks import (AtomicCheckpointHook, BadSampleReportHook, BuildTeacherBankHook,
                    CheckpointMetaHook, DecouplerTemperatureHook, DivergenceError,
                    DivergenceGuardHook, RNGStateHook, TaskVisualizationHook)
from .vis_backends import GroupedTensorboardVisBackend

__all__ = ['AtomicCheckpointHook', 'BadSampleReportHook', 'BilevelEpochBasedTrainLoop',
           'BilevelIterBasedTrainLoop', 'BuildTeacherBankHook',
           'CheckpointMetaHook', 'DecouplerTemperatureHook', 'DivergenceError',
           'DivergenceGuardHook', 'GroupedTensorboardVisBackend', 'RNGStateHook',
           'TaskVisualizationHook']
