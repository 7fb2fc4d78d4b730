"""Distillers: models that own a student, a frozen teacher and the distillation terms."""
from .base import BaseCrossModalDistiller, gather_labels
from .frequency_decoupled import FrequencyDecoupledDistiller, pool_features

__all__ = ['BaseCrossModalDistiller', 'FrequencyDecoupledDistiller', 'gather_labels',
           'pool_features']
