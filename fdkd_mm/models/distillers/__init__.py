"""Distillers: models that own a student, a teacher and the distillation terms."""
from .base import BaseCrossModalDistiller, gather_labels, prefix_losses
from .configurable import CrossModalDistiller, pool_recorded
from .frequency_decoupled import FrequencyDecoupledDistiller, pool_features

__all__ = ['BaseCrossModalDistiller', 'CrossModalDistiller', 'FrequencyDecoupledDistiller',
           'gather_labels', 'pool_features', 'pool_recorded', 'prefix_losses']
