"""What a checkpoint is: distiller, unimodal model or exported student, its modality and network.

Checkpoints written with ``CheckpointMetaHook`` carry the answer in
``meta['fdkd_mm_model']`` (see :func:`model_record`). Older ones are read from the config text
MMEngine stores in ``meta['cfg']`` (parsed without executing it), and from the state-dict keys
(a distiller's start with ``student.`` and ``teacher.``; an exported student keeps the
distiller's meta but not those prefixes).
"""
import os
from typing import Any, Mapping, Optional, Union

from mmengine.logging import print_log

from .config_text import parse_config_text
from fdkd_mm.errors import TeacherError

#: Key of the model record in ``checkpoint['meta']``.
MODEL_RECORD_KEY = 'fdkd_mm_model'


class TeacherCheckpointError(TeacherError):
    """A teacher checkpoint was trained on another modality or network than the teacher."""


def _short(type_name: Any) -> str:
    return str(type_name).split('.')[-1]


def _component(cfg: dict) -> str:
    name = _short(cfg.get('type'))
    if isinstance(cfg.get('depth'), int):
        name += f'-{cfg["depth"]}'
    if isinstance(cfg.get('backbone'), dict):  # a wrapper, e.g. FrameFoldingBackbone
        name += f'({_component(cfg["backbone"])})'
    return name


def model_arch(model_cfg: Optional[Mapping]) -> Optional[str]:
    """A short name of a network: model, backbone (with depth) and head types.

    Args:
        model_cfg: A model config dict (``type``, ``backbone``, ``decode_head`` / ``head``).

    Returns:
        E.g. ``'EncoderDecoder/ResNetV1c-18/DepthwiseSeparableASPPHead'`` or
        ``'ImageClassifier/FrameFoldingBackbone(ResNet-18)/LinearClsHead'`` (scopes dropped);
        ``None`` without a model type.
    """
    if not isinstance(model_cfg, Mapping) or 'type' not in model_cfg:
        return None
    parts = [_short(model_cfg['type'])]
    if isinstance(model_cfg.get('backbone'), Mapping):
        parts.append(_component(model_cfg['backbone']))
    if isinstance(model_cfg.get('backbones'), Mapping):  # a fusion network, one per modality
        parts.append('+'.join(f'{key}:{_component(cfg)}'
                              for key, cfg in model_cfg['backbones'].items()))
    head = model_cfg.get('decode_head') or model_cfg.get('head')
    if isinstance(head, Mapping):
        parts.append(_short(head.get('type')))
    return '/'.join(parts)


def _train_modality(cfg: Any) -> Optional[str]:
    """The modality a unimodal model is trained on: what the train pipeline's packer packs."""
    from fdkd_mm.models.distillers.validation import packed_input_keys
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    while isinstance(dataset, Mapping) and 'pipeline' not in dataset and \
            isinstance(dataset.get('dataset'), Mapping):  # RepeatDataset & co.
        dataset = dataset['dataset']
    pipeline = dataset.get('pipeline') if isinstance(dataset, Mapping) else None
    try:
        packed = packed_input_keys([t for t in pipeline or [] if isinstance(t, Mapping)])
    except (KeyError, TypeError, AttributeError):  # a packer this build does not register
        return None
    return None if packed is None else '+'.join(str(key) for key in packed[0])


def model_record(cfg: Any) -> dict:
    """Describe the model of a training config, for ``meta['fdkd_mm_model']``.

    Args:
        cfg: The full config (a ``Config`` or a plain dict).

    Returns:
        A distiller: ``dict(kind='distiller', type=..., student=dict(modality, arch),
        teacher=dict(modality, arch))``, the modalities being ``student_input`` /
        ``teacher_input``. Otherwise ``dict(kind='unimodal', type=..., modality=..., arch=...)``
        with the modality the train pipeline packs (``None`` if unknown). ``{}`` when the
        config has no model.
    """
    model = cfg.get('model') if hasattr(cfg, 'get') else None  # Config is no Mapping
    if not isinstance(model, Mapping) or 'type' not in model:
        return {}
    if 'student_input' in model and 'teacher_input' in model:
        return dict(kind='distiller', type=_short(model['type']),
                    student=dict(modality=model['student_input'],
                                 arch=model_arch(model.get('student'))),
                    teacher=dict(modality=model['teacher_input'],
                                 arch=model_arch(model.get('teacher'))))
    return dict(kind='unimodal', type=_short(model['type']), modality=_train_modality(cfg),
                arch=model_arch(model))


#: ``meta`` key of an exported network's role in its distiller (``'student'`` / ``'teacher'``).
EXPORTED_ROLE_KEY = 'exported_role'


def exported_student_record(distiller_record: dict, role: str = 'student') -> dict:
    """The record of a network exported from a distiller with record ``distiller_record``:
    its student, or with ``role='teacher'`` its (jointly trained) teacher."""
    student = distiller_record.get(role) or {}
    return dict(kind='exported_student', type=(student.get('arch') or '?').split('/')[0],
                modality=student.get('modality'), arch=student.get('arch'),
                distiller=distiller_record.get('type'))


def describe_checkpoint(checkpoint: Mapping) -> dict:
    """What a loaded checkpoint is, from its record, its config text or its keys.

    Args:
        checkpoint: A loaded checkpoint (``meta`` / ``state_dict``) or a bare state dict.

    Returns:
        A record as :func:`model_record` gives (``kind`` one of ``distiller``, ``unimodal``,
        ``exported_student``, ``unknown``) plus ``source`` (``'meta'``, ``'config text'`` or
        ``'keys'``) and the checkpoint's ``epoch`` / ``iter`` when known.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint.get('meta'), Mapping) else {}
    state_dict = checkpoint.get('state_dict', checkpoint)
    keys = [str(key).removeprefix('module.') for key in state_dict]
    distiller_keys = any(k.startswith('student.') for k in keys) and \
        any(k.startswith('teacher.') for k in keys)
    record, source = meta.get(MODEL_RECORD_KEY), 'meta'
    if not record and isinstance(meta.get('cfg'), str):
        record, source = model_record(parse_config_text(meta['cfg'])), 'config text'
    if not record:
        record, source = dict(kind='distiller' if distiller_keys else 'unknown'), 'keys'
    elif record.get('kind') == 'distiller' and not distiller_keys:
        # Which network was exported: export_student records it (its --prefix).
        record = exported_student_record(record, meta.get(EXPORTED_ROLE_KEY, 'student'))
    return dict(record, source=source, epoch=meta.get('epoch'), iter=meta.get('iter'))


def format_description(description: dict, noun: str = 'checkpoint') -> str:
    """One line for a :func:`describe_checkpoint` (or :func:`model_record`) result.

    Args:
        description: The record.
        noun: What is described (``'checkpoint'``, ``'model'``).

    Returns:
        E.g. ``'a unimodal checkpoint (modality depth, EncoderDecoder/...), saved at epoch 5
        iter 100'``.
    """
    kind = description.get('kind')

    def network(modality: Optional[str], arch: Optional[str]) -> str:
        return ', '.join(part for part in (modality and f'modality {modality}', arch) if part)

    if kind == 'distiller':
        student, teacher = description.get('student') or {}, description.get('teacher') or {}
        text = (f'a distiller {noun} ({description.get("type", "?")}'
                + (f'; student: {network(student.get("modality"), student.get("arch"))}; '
                   f'teacher: {network(teacher.get("modality"), teacher.get("arch"))}'
                   if student or teacher else '') + ')')
    elif kind == 'exported_student':
        text = (f'a student exported from a {description.get("distiller")} checkpoint '
                f'({network(description.get("modality"), description.get("arch"))})')
    elif kind == 'unimodal':
        text = (f'a unimodal {noun} '
                f'({network(description.get("modality"), description.get("arch"))})')
    else:
        text = f'a {noun} of plain weights (no model record, no config)'
    when = [f'{name} {description[name]}' for name in ('epoch', 'iter')
            if description.get(name) is not None]
    return text + (f', saved at {" ".join(when)}' if when else '')


def check_teacher_checkpoint(checkpoint: Union[str, os.PathLike, Mapping],
                             expected_modality: Optional[str],
                             expected_arch: Union[str, Mapping, None],
                             allow_mismatch: bool = False,
                             override_hint: str = 'allow_mismatch=True') -> dict:
    """Refuse a teacher checkpoint trained on another modality or network than the teacher.

    Args:
        checkpoint: Path of the teacher checkpoint, or the loaded checkpoint.
        expected_modality: The modality the teacher reads (the distiller's ``teacher_input``),
            or its several modalities (a fusion teacher: ``['audio', 'visual']`` or
            ``'audio+visual'``, compared in any order); ``None`` skips the check.
        expected_arch: The teacher's network, as :func:`model_arch` names it, or the teacher's
            model config; ``None`` skips the check.
        allow_mismatch: Log a warning instead of raising (the explicit override).
        override_hint: How the user switches the override on, quoted in the error.

    Returns:
        The checkpoint's description (:func:`describe_checkpoint`).

    Raises:
        TeacherCheckpointError: The checkpoint is a distiller, or its recorded modality or
            network differs from the expected one (names both), unless ``allow_mismatch``.
    """
    name = 'the teacher checkpoint'
    if not isinstance(checkpoint, Mapping):
        from .safe_loading import load_checkpoint_file
        name = f'teacher checkpoint {os.fspath(checkpoint)}'
        checkpoint = load_checkpoint_file(checkpoint, map_location='cpu')
    if isinstance(expected_arch, Mapping):
        expected_arch = model_arch(expected_arch)
    description = describe_checkpoint(checkpoint)
    what = format_description(description)
    problems = []
    if description['kind'] == 'distiller':
        problems.append('it is a distiller checkpoint, not a trained teacher')
    modality, arch = description.get('modality'), description.get('arch')
    if not isinstance(expected_modality, (str, type(None))):  # a fusion teacher's keys
        expected_modality = '+'.join(expected_modality)
    if expected_modality is not None and modality is not None and \
            sorted(modality.split('+')) != sorted(expected_modality.split('+')):
        problems.append(f'it was trained on {modality!r}, but the teacher reads '
                        f'{expected_modality!r}')
    if expected_arch is not None and arch is not None and arch != expected_arch:
        problems.append(f'its network is {arch}, the teacher is {expected_arch}')
    if not problems:
        if description['kind'] == 'unknown' or (modality is None and arch is None):
            print_log(f'{name} has no model record: its modality and network cannot be '
                      'checked', logger='current', level=30)
        return description
    problems_text = '; '.join(problems)
    if allow_mismatch:
        print_log(f'{name} does not fit the teacher ({problems_text}; {what}); loaded anyway '
                  f'because of {override_hint}', logger='current', level=30)
        return description
    raise TeacherCheckpointError(
        f'{name} does not fit the teacher: {problems_text} ({what}). Point the teacher '
        f'checkpoint at a teacher trained for this config, or set {override_hint} to load it '
        'anyway.')
