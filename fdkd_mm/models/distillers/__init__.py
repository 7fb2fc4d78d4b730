"""The cross-modal distiller: teacher/student plumbing + recorders → connectors → losses."""
from .base import BaseCrossModalDistiller, gather_labels, prefix_losses
from .cross_modal import CrossModalDistiller
from .legacy import FrequencyDecoupledDistiller

__all__ = ['BaseCrossModalDistiller', 'CrossModalDistiller', 'FrequencyDecoupledDistiller',
           'gather_labels', 'prefix_losses']
