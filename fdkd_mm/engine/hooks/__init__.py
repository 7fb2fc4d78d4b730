"""Training hooks of fdkd_mm."""
from .atomic_checkpoint import AtomicCheckpointHook
from .bad_sample_report import BadSampleReportHook
from .decoupler_schedule import DecouplerTemperatureHook
from .nonfinite_guard import NonFiniteLossGuardHook
from .rng_state import RNGStateHook

__all__ = ['AtomicCheckpointHook', 'BadSampleReportHook', 'DecouplerTemperatureHook',
           'NonFiniteLossGuardHook', 'RNGStateHook']
