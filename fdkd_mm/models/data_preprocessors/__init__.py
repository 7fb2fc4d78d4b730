"""Data preprocessors for multi-modal batches."""
from .multimodal import MultiModalDataPreprocessor
from .text import TextDataPreprocessor
from .video import VideoDataPreprocessor

__all__ = ['MultiModalDataPreprocessor', 'TextDataPreprocessor', 'VideoDataPreprocessor']
