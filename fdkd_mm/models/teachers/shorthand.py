"""The single-teacher keywords (``teacher=``, ``teacher_input=``, ...) as a ``teachers`` mapping.

Every shipped config describes its one teacher with these keywords; they mean
``teachers={'teacher': <teacher config>}``: a :class:`FrozenTeacher` by default, a
:class:`TrainableTeacher` with ``teacher_trainable=True``, ``fdkd_mm.CachedTeacher`` with
``teacher_cache``, a :class:`StreamedTeacher` with ``teacher_stream`` (``True``: it streams the
config's ``teacher_dataloader``; a dict: that dataloader config), and no teacher at all with
``teacher=None`` (a teacher-free distiller).
"""
from collections.abc import Mapping

from fdkd_mm.config.typed_args import check_bool
from fdkd_mm.errors import ConfigError
from fdkd_mm.models.teachers.base import SHORTHAND_KEYS, SHORTHAND_NAME

#: Keyword → default of the single-teacher form.
SHORTHAND_DEFAULTS = dict(teacher=None, teacher_input=None, teacher_recorders=None,
                          teacher_ckpt=None, teacher_trainable=False, teacher_autocast=None,
                          allow_teacher_mismatch=False, teacher_cache=None,
                          teacher_stream=None)


def shorthand_teachers(options: Mapping) -> dict[str, dict]:
    """The teachers mapping the single-teacher keywords of a distiller config mean.

    Args:
        options: The single-teacher keywords given (a subset of :data:`SHORTHAND_DEFAULTS`).

    Returns:
        ``{}`` (teacher-free) or ``{'teacher': <teacher config>}``.

    Raises:
        TypeError: An unknown keyword.
        ValueError: Options that contradict each other (each named).
    """
    unknown = sorted(set(options) - set(SHORTHAND_DEFAULTS))
    if unknown:
        raise TypeError(f'CrossModalDistiller got unexpected keyword(s) {unknown}; the '
                        f'single-teacher keywords are {list(SHORTHAND_DEFAULTS)}')
    given = dict(SHORTHAND_DEFAULTS, **options)
    trainable = check_bool(given['teacher_trainable'], 'model.teacher_trainable')
    # Option name of the teacher classes → value (the keywords' inverse spelling).
    settings = {option: given[keyword] for option, keyword in SHORTHAND_KEYS.items()}
    settings['trainable'] = trainable
    if given['teacher_cache'] is not None and given['teacher_stream'] not in (None, False):
        raise ConfigError('model.teacher_cache and model.teacher_stream are both set: a cache '
                          "holds the teacher's outputs on the student's samples, a stream runs "
                          'it on its own data; choose one')
    if given['teacher_cache'] is not None:  # refuses trainable / autocast with the reason
        return {SHORTHAND_NAME: dict(
            type='fdkd_mm.CachedTeacher', **{k: settings[k] for k in (
                'cache', 'network', 'inputs', 'recorders', 'ckpt', 'trainable', 'autocast')})}
    if given['teacher'] is None:
        _check_teacher_free(given, trainable)
        return {}
    common = {k: settings[k] for k in ('network', 'inputs', 'recorders', 'ckpt',
                                       'allow_mismatch')}
    stream = given['teacher_stream']
    if stream is not None and stream is not False:
        return {SHORTHAND_NAME: _streamed(stream, trainable, settings['autocast'], common)}
    if not trainable:
        return {SHORTHAND_NAME: dict(type='fdkd_mm.FrozenTeacher', autocast=settings['autocast'],
                                     **common)}
    if given['teacher_autocast'] is not None:
        raise ValueError('teacher_autocast applies to a frozen teacher; a trainable teacher '
                         'trains in the precision of the optimizer wrapper (AmpOptimWrapper)')
    return {SHORTHAND_NAME: dict(type='fdkd_mm.TrainableTeacher', **common)}


def _streamed(stream, trainable: bool, autocast, common: dict) -> dict:
    """The StreamedTeacher config of ``teacher_stream`` (True or a dataloader config)."""
    if stream is not True and not isinstance(stream, Mapping):
        raise ConfigError('model.teacher_stream must be True (stream the config\'s '
                          'teacher_dataloader), a dataloader config (dict) or None, got '
                          f'{stream!r}')
    if trainable:
        raise ConfigError('model.teacher_stream: a streamed teacher is frozen (it runs on '
                          'its own data, without a task loss); remove teacher_trainable')
    return dict(type='fdkd_mm.StreamedTeacher', autocast=autocast,
                dataloader=None if stream is True else dict(stream), **common)


def _check_teacher_free(given: Mapping, trainable: bool) -> None:
    """Without a teacher network (its knowledge comes from elsewhere, e.g. a teacher bank in a
    loss), nothing may ask for one."""
    asked = dict(teacher_input=given['teacher_input'],
                 teacher_recorders=given['teacher_recorders'] or None,
                 teacher_ckpt=given['teacher_ckpt'], teacher_trainable=trainable or None,
                 teacher_stream=given['teacher_stream'] or None)
    stray = sorted(key for key, value in asked.items() if value is not None)
    if stray:
        raise ValueError(f'teacher=None (no teacher network) but {stray} are set; remove them, '
                         'or give the teacher')
