"""Distillation losses, one method per file."""
from .frequency_align import FrequencyAlignLoss, signed_log, standardize

__all__ = ['FrequencyAlignLoss', 'signed_log', 'standardize']
