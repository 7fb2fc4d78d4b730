"""Log keys of a distillation loss that reads one of several teachers: the teacher is named."""
from typing import Optional

from torch import Tensor


def with_teacher(losses: dict[str, Tensor], teacher: Optional[str]) -> dict[str, Tensor]:
    """``losses`` with ``teacher`` inserted after the first part of every key.

    ``distill.loss_kd`` → ``distill.audio.loss_kd``, ``distill.loss_c2kd.loss_student_proxy``
    → ``distill.audio.loss_c2kd.loss_student_proxy``, ``align.loss_low_student`` →
    ``align.audio.loss_low_student``: the keys of two teachers' terms differ, and each group
    (``distill/``, ``align/``) still collects all its terms.

    Args:
        losses: Log key → value of one loss.
        teacher: The teacher the loss reads; ``None`` leaves the keys as they are.

    Returns:
        The renamed losses.
    """
    if teacher is None:
        return losses
    renamed = {}
    for key, value in losses.items():
        group, _, rest = key.partition('.')
        renamed[f'{group}.{teacher}.{rest}' if rest else f'{teacher}.{group}'] = value
    return renamed
