"""Writers of small synthetic datasets in the real on-disk layouts, for tests and the demo.

Not imported by ``import fdkd_mm``: the package's registered components never need them.
``synthetic_video`` and ``synthetic_downloads`` (real flv / mp4 files and copies of the official
audio-visual downloads, for the dataset converters) need PyAV and are imported by name.
"""
from .synthetic_audio_visual import (write_synthetic_ave, write_synthetic_cremad,
                                     write_synthetic_vggsound)
from .synthetic_crisismmd import write_synthetic_crisismmd
from .synthetic_nyu import write_synthetic_nyu

__all__ = ['write_synthetic_ave', 'write_synthetic_cremad', 'write_synthetic_crisismmd',
           'write_synthetic_nyu', 'write_synthetic_vggsound']
