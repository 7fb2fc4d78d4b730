"""Teachers of the cross-modal distiller: one protocol, frozen / streamed / trainable / cached."""
from .base import SHORTHAND_NAME, BaseTeacher, select_inputs, teacher_label
from .frozen import AUTOCAST_DTYPES, FrozenTeacher
from .live import LiveTeacher
from .streamed import StreamedTeacher
from .shorthand import SHORTHAND_DEFAULTS, shorthand_teachers
from .trainable import TrainableTeacher

__all__ = ['AUTOCAST_DTYPES', 'BaseTeacher', 'FrozenTeacher', 'LiveTeacher', 'SHORTHAND_DEFAULTS',
           'SHORTHAND_NAME', 'StreamedTeacher', 'TrainableTeacher', 'select_inputs',
           'shorthand_teachers', 'teacher_label']
