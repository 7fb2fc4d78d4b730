"""Training hooks of fdkd_mm."""
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .bad_sample_report_hook import BadSampleReportHook
from .checkpoint_meta_hook import CheckpointMetaHook
from .contrast_memory_hook import ContrastMemoryHook
from .decoupler_schedule_hook import DecouplerTemperatureHook
from .divergence_guard_hook import DivergenceError, DivergenceGuardHook
from .rng_state_hook import RNGStateHook
from .teacher_bank_hook import BuildTeacherBankHook
from .teacher_cache_hook import TeacherCacheHook
from .teacher_stream_hook import TeacherStreamHook
from .visualization_hook import TaskVisualizationHook

__all__ = ['AtomicCheckpointHook', 'BadSampleReportHook', 'BuildTeacherBankHook',
           'CheckpointMetaHook', 'ContrastMemoryHook', 'DecouplerTemperatureHook',
           'DivergenceError', 'DivergenceGuardHook', 'RNGStateHook',
           'TaskVisualizationHook', 'TeacherCacheHook', 'TeacherStreamHook']
