"""Data preprocessors for multi-modal batches."""
from .multimodal import MultiModalDataPreprocessor

__all__ = ['MultiModalDataPreprocessor']
