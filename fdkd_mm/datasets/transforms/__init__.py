"""Data transforms of fdkd_mm, registered in ``fdkd_mm.registry.TRANSFORMS``."""
from .depth_loading import LoadDepthFromFile  # noqa: F401
from .seg_packing import PackMultiModalSegInputs  # noqa: F401
from .stack_modalities import StackModalities  # noqa: F401
from .audio import LoadSpectrogram, LoadWaveform, LogSpectrogram  # noqa: F401
from .frames import (FramesRandomFlip, FramesRandomResizedCrop, FramesResize,  # noqa: F401
                     LoadFrames, SampleFrames)
from .pack_audio_visual import PackAudioVisualInputs  # noqa: F401
from .text import TokenizeText  # noqa: F401
from .pack_text_image import PackTextImageInputs  # noqa: F401
from .load_modality import LoadLabelMap, LoadModality  # noqa: F401
from .modality_geometry import RandomFlipModalities, ResizeModalities  # noqa: F401
from .pack_modalities import PackModalityInputs  # noqa: F401
