"""``FrequencyDecoupledDistiller``: the former FD-CMKD model, now a thin alias.

FD-CMKD is a loss of the one distiller (:class:`~fdkd_mm.models.losses.FDCMKDLoss` in
:class:`~fdkd_mm.models.distillers.CrossModalDistiller`). Configs written for the former class
keep working: this builder translates their arguments and warns once with what to write
instead, and the distiller it returns loads checkpoints written by the former class (whose
heads were ``shared_heads.*`` / ``aux_heads.*`` on the model itself).
"""
import logging
from typing import Optional

from mmengine.logging import print_log

from fdkd_mm.models.distillers.cross_modal import CrossModalDistiller
from fdkd_mm.registry import MODELS

#: Name of the FD-CMKD loss in the translated config.
LOSS_NAME = 'loss_fd'
#: Former state-dict prefixes → new ones.
LEGACY_PREFIXES = {
    'shared_heads.': f'losses.{LOSS_NAME}.shared_heads.',
    'aux_heads.': f'losses.{LOSS_NAME}.aux_heads.',
    'decoupler.': f'losses.{LOSS_NAME}.decoupler.',
    'student_connector.': 'connectors.student_feat.',
    'teacher_connector.': 'connectors.teacher_feat.',
}
_FD_KEYS = ('num_classes', 'in_channels', 'decoupler', 'low_loss', 'high_loss', 'band_loss',
            'shared_head', 'aux_head', 'ablation', 'ignore_index')


def rename_legacy_keys(state_dict: dict, prefix: str = '') -> None:
    """Rename, in place, entries a former FrequencyDecoupledDistiller wrote (see module doc)."""
    for key in list(state_dict):
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix):]
        for old, new in LEGACY_PREFIXES.items():
            if rest.startswith(old):
                state_dict[prefix + new + rest[len(old):]] = state_dict.pop(key)
                break


def translate_fd_config(student_recorder: dict, teacher_recorder: dict,
                        pool: Optional[str] = None, student_connector: Optional[dict] = None,
                        teacher_connector: Optional[dict] = None, **kwargs) -> dict:
    """The CrossModalDistiller arguments equivalent to the former class's arguments."""
    loss = dict(type='FDCMKDLoss', **{k: kwargs.pop(k) for k in _FD_KEYS if k in kwargs})
    connectors = {}
    student = dict(from_student=True, recorder='feat')
    teacher = dict(from_student=False, recorder='feat')
    if student_connector:
        connectors['student_feat'] = student_connector
        student['connector'] = 'student_feat'
    if teacher_connector:
        connectors['teacher_feat'] = teacher_connector
        teacher['connector'] = 'teacher_feat'
    return dict(
        kwargs,
        student_recorders=dict(feat=dict(student_recorder, pool=pool)),
        teacher_recorders=dict(feat=dict(teacher_recorder, pool=pool)),
        connectors=connectors or None,
        distill_losses={LOSS_NAME: loss},
        loss_forward_mappings={LOSS_NAME: dict(student_feat=student, teacher_feat=teacher,
                                               target=dict(labels=True))})


@MODELS.register_module()
def FrequencyDecoupledDistiller(**kwargs) -> CrossModalDistiller:  # noqa: N802 (a type name)
    """Build the former FD-CMKD model as a :class:`CrossModalDistiller` (deprecated alias).

    Write instead::

        model = dict(type='CrossModalDistiller', ...,
                     student_recorders=dict(feat=dict(path=..., pool='avg')),
                     teacher_recorders=dict(feat=dict(path=..., pool='avg')),
                     distill_losses=dict(loss_fd=dict(type='FDCMKDLoss', num_classes=K,
                                                      in_channels=D, ...)),
                     loss_forward_mappings=dict(loss_fd=dict(
                         student_feat=dict(from_student=True, recorder='feat'),
                         teacher_feat=dict(from_student=False, recorder='feat'),
                         target=dict(labels=True))))

    (see configs/_base_/distill/fdkd.py). Arguments and loss keys are unchanged.

    Args:
        **kwargs: The former class's arguments.

    Returns:
        The equivalent distiller, which also loads the former class's checkpoints.
    """
    print_log("type='FrequencyDecoupledDistiller' is deprecated: FD-CMKD is now the loss "
              "FDCMKDLoss of type='CrossModalDistiller' (see configs/_base_/distill/fdkd.py "
              'and docs/method.md); this config was translated to it.', logger='current',
              level=logging.WARNING)
    model = CrossModalDistiller(**translate_fd_config(**kwargs))
    model._register_load_state_dict_pre_hook(
        lambda state_dict, prefix, *args: rename_legacy_keys(state_dict, prefix))
    return model
