"""The cross-modal distiller: a student, its teachers, recorders → connectors → losses."""
from .cross_modal import CrossModalDistiller
from .labels import gather_labels

__all__ = ['CrossModalDistiller', 'gather_labels']
