"""Teacher banks: per-class summaries of a frozen teacher, for distillation without pairs."""
from .classifier import CLASSIFIER_KEYS, classifier_entry
from .statistics import (BankAccumulator, ClassStats, MissingClassError, class_statistics,
                         row_labels, to_rows, valid_rows)
from .teacher_bank import (BANK_FORMAT, BANK_VERSION, BankMismatchError, TeacherBank,
                           band_layout, check_bank_fits, check_bank_state, load_bank,
                           save_bank)

__all__ = ['BANK_FORMAT', 'BANK_VERSION', 'BankAccumulator', 'BankMismatchError',
           'CLASSIFIER_KEYS', 'ClassStats', 'MissingClassError', 'TeacherBank', 'band_layout',
           'check_bank_fits', 'check_bank_state', 'class_statistics', 'classifier_entry',
           'load_bank', 'row_labels', 'save_bank', 'to_rows', 'valid_rows']
