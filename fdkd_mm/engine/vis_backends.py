"""TensorBoard with the loss terms grouped by what they do.

A distiller's losses are named ``<group>.<term>`` (``distill.loss_low``, ``align.loss_low_student``,
``aux.loss_high``, ``student.decode.loss_ce``, ...); the text log and ``scalars.json`` keep those
names. TensorBoard groups the curves by the part of a tag before its first ``/``, so
:class:`GroupedTensorboardVisBackend` writes ``distill/loss_low`` etc.: one panel per group, and
a ``loss_groups`` text (TensorBoard's Text tab) saying what each group is. Other scalars (the
total ``loss``, ``lr``, times, validation metrics) keep their names.
"""
from mmengine.visualization import TensorboardVisBackend

from fdkd_mm.registry import VISBACKENDS

#: Loss-name prefix → what its terms do (the README's loss-key table, in short).
LOSS_GROUPS = {
    'student': "the student's own task losses (its head's cross-entropy)",
    'distill': 'the distillation losses pulling student features / logits towards the '
               "teacher's (FD-CMKD: low band MSE, weight λ1; high band sign-log MSE, λ2)",
    'align': 'the shared classifiers on student and (detached) teacher bands (L_align)',
    'aux': "the student's own band heads (part of L_task)",
    'teacher': "a jointly trained teacher's losses (DML, C2KD)",
}


def loss_group_tag(name: str) -> str:
    """``'distill.loss_low'`` → ``'distill/loss_low'``; other names unchanged."""
    group, dot, term = name.partition('.')
    return f'{group}/{term}' if dot and group in LOSS_GROUPS else name


@VISBACKENDS.register_module()
class GroupedTensorboardVisBackend(TensorboardVisBackend):
    """MMEngine's ``TensorboardVisBackend`` with loss terms grouped by :data:`LOSS_GROUPS`.

    Args:
        save_dir: Folder of the event files (the visualizer's, by default
            ``<work_dir>/<timestamp>/vis_data``).
    """

    def _init_env(self) -> None:
        super()._init_env()
        rows = '\n'.join(f'| `{group}/` | {what} |' for group, what in LOSS_GROUPS.items())
        self._tensorboard.add_text('loss_groups', f'| group | what it is |\n|---|---|\n{rows}')

    def add_scalar(self, name: str, value, step: int = 0, **kwargs) -> None:
        """Record ``value`` under the grouped tag of ``name``."""
        super().add_scalar(loss_group_tag(name), value, step, **kwargs)
