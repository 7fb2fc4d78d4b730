"""Training hooks of fdkd_mm."""
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .bad_sample_report_hook import BadSampleReportHook
from .decoupler_schedule_hook import DecouplerTemperatureHook
from .nonfinite_guard_hook import NonFiniteLossGuardHook
from .rng_state_hook import RNGStateHook
from .visualization_hook import TaskVisualizationHook

__all__ = ['AtomicCheckpointHook', 'BadSampleReportHook', 'DecouplerTemperatureHook',
           'NonFiniteLossGuardHook', 'RNGStateHook', 'TaskVisualizationHook']
