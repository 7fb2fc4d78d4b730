"""Engine components (hooks) of fdkd_mm."""
from .hooks import (AtomicCheckpointHook, BadSampleReportHook, CheckpointMetaHook,
                    DecouplerTemperatureHook, DivergenceError, DivergenceGuardHook,
                    NonFiniteLossGuardHook, RNGStateHook)

__all__ = ['AtomicCheckpointHook', 'BadSampleReportHook', 'CheckpointMetaHook',
           'DecouplerTemperatureHook', 'DivergenceError', 'DivergenceGuardHook',
           'NonFiniteLossGuardHook', 'RNGStateHook']
