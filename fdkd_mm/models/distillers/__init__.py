"""The cross-modal distiller: teacher/student plumbing + recorders → connectors → losses."""
from .base import BaseCrossModalDistiller, gather_labels, prefix_losses
from .cross_modal import CrossModalDistiller

__all__ = ['BaseCrossModalDistiller', 'CrossModalDistiller', 'gather_labels', 'prefix_losses']
