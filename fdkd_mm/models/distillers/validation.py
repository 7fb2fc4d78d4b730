"""Check a distillation config before any model or data is built, with errors that say what to
fix.

A wrong input key or class count otherwise surfaces minutes into a run (after data loading and
the teacher checkpoint), or not at all (heads silently using another number of classes).
:func:`validate_distill_config` finds them from the config alone. What needs the built
networks (recorder paths, mapping names, loss signatures, feature widths) is checked by the
distiller itself when the runner builds it (widths, where a module declares none, at the first
training step).
"""
import copy
import inspect
from typing import Optional

from mmengine.config import Config
from mmengine.registry import init_default_scope
from fdkd_mm.errors import ConfigError

#: Packing transforms and the argument naming their modalities (their packed input keys).
_PACKERS = {
    'PackMultiModalSegInputs': 'modalities',
    'PackAudioVisualInputs': 'keys',
    'PackTextImageInputs': 'modalities',
}


class DistillConfigError(ConfigError):
    """A distillation config cannot work; the message names the entry and the fix."""


def _short_type(cfg: dict) -> str:
    return str(cfg.get('type', '')).split('.')[-1]


def packed_input_keys(pipeline: list) -> Optional[tuple[list, bool]]:
    """The input keys the pipeline's packing transform produces, and whether it packs plainly.

    Returns:
        ``(keys, plain)`` or ``None`` when the pipeline has no known packing transform.
    """
    from fdkd_mm.registry import TRANSFORMS
    for transform in reversed(pipeline or []):
        name = _short_type(transform)
        if name not in _PACKERS:
            continue
        arg = _PACKERS[name]
        if arg in transform:
            value = transform[arg]
        else:  # the transform's default
            value = inspect.signature(TRANSFORMS.get(name).__init__).parameters[arg].default
        return list(value), bool(transform.get('plain_inputs', False))
    return None


def _networks(model: dict) -> dict[str, tuple[str, dict, object]]:
    """Config key → (config key of its inputs, network config, input key(s)) of the student
    and every teacher, in the single-teacher form or the ``teachers`` form."""
    networks = {'model.student': ('model.student_input', model.get('student'),
                                  model['student_input'])}
    if model.get('teacher_input') is not None:  # None: teacher-free, the student's only
        networks['model.teacher'] = ('model.teacher_input', model.get('teacher'),
                                     model['teacher_input'])
    for name, teacher in (model.get('teachers') or {}).items():
        if isinstance(teacher, dict):
            networks[f'model.teachers.{name}.network'] = (
                f'model.teachers.{name}.inputs', teacher.get('network'), teacher.get('inputs'))
    return networks


def _stream_loader(cfg: Config, model: dict, where: str) -> Optional[tuple[str, dict]]:
    """(config key, config) of the dataloader a streamed teacher reads its inputs from
    (``where``: the key of its inputs); None for the student and teachers of the batch."""
    if where == 'model.teacher_input':
        stream = model.get('teacher_stream')
        if stream is None or stream is False:
            return None
        if isinstance(stream, dict):
            return 'model.teacher_stream', stream
    else:
        name = where.split('.')[2] if where.startswith('model.teachers.') else None
        teacher = (model.get('teachers') or {}).get(name) if name else None
        if not isinstance(teacher, dict) or _short_type(teacher) != 'StreamedTeacher':
            return None
        if teacher.get('dataloader') is not None:
            return f'model.teachers.{name}.dataloader', teacher['dataloader']
    return 'teacher_dataloader', cfg.get('teacher_dataloader')


def _check_stream_inputs(loader: str, loader_cfg: Optional[dict], needed: dict) -> None:
    """A streamed teacher's inputs must be packed by its own dataloader (plainly or not: its
    network's preprocessor takes them)."""
    if loader_cfg is None:
        raise DistillConfigError(f'{", ".join(needed)}: a streamed teacher reads {loader}, '
                                 'which the config does not have; add the teacher-modality '
                                 'dataloader')
    dataset = loader_cfg.get('dataset') or {}
    while 'pipeline' not in dataset and isinstance(dataset.get('dataset'), dict):
        dataset = dataset['dataset']  # below DisjointPartDataset & co.
    packed = packed_input_keys(dataset.get('pipeline'))
    if packed is None:
        return
    for given, (where, key) in needed.items():
        if key not in packed[0]:
            raise DistillConfigError(
                f'{given} is not packed by the {loader} pipeline: its packing transform '
                f'produces {packed[0]}. Fix {where.removeprefix("model.")} or the teacher\'s '
                'packing transform.')


def _check_inputs(cfg: Config, model: dict) -> None:
    train, streamed = {}, {}
    for where, _, keys in _networks(model).values():
        loader = _stream_loader(cfg, model, where)
        for key in ([keys] if isinstance(keys, str) else list(keys or [])):
            if loader is None:
                train[f'{where}={key!r}'] = (where, key)
            else:
                streamed.setdefault(loader[0], (loader[1], {}))[1][f'{where}={key!r}'] = (
                    where, key)
    for loader, (loader_cfg, needed) in streamed.items():
        _check_stream_inputs(loader, loader_cfg, needed)
    student = {f'model.student_input={model["student_input"]!r}':
               ('model.student_input', model['student_input'])}
    for loader, needed in (('train_dataloader', train), ('val_dataloader', student),
                           ('test_dataloader', student)):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        packed = packed_input_keys(dataset.get('pipeline'))
        if packed is None:
            continue
        keys, plain = packed
        if plain:
            raise DistillConfigError(
                f'{loader}: the packing transform packs plain inputs ({keys}), but a distiller '
                'needs a dict of modalities; set plain_inputs=False and pack both modalities')
        for given, (where, key) in needed.items():
            if key not in keys:
                raise DistillConfigError(
                    f'{given} is not packed by the {loader} pipeline: its packing transform '
                    f'produces {keys}. Fix {where.removeprefix("model.")} or add the modality '
                    'to the packing transform.')


def _dataset_classes(dataset: dict) -> Optional[int]:
    from fdkd_mm.registry import DATASETS
    classes = (dataset.get('metainfo') or {}).get('classes')
    if classes is None:
        dataset_cls = DATASETS.get(dataset.get('type', ''))
        classes = getattr(dataset_cls, 'METAINFO', {}).get('classes')
    return None if classes is None else len(classes)


def _check_num_classes(cfg: Config, model: dict) -> None:
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    num_dataset = _dataset_classes(dataset)
    declared = {'model.num_classes': model.get('num_classes')}  # the former FD distiller's
    for where, (_, network, _) in _networks(model).items():
        for head in ('decode_head', 'head'):  # mmseg / mmpretrain
            value = ((network if isinstance(network, dict) else {}).get(head) or {}).get(
                'num_classes')
            if value is not None:
                declared[f'{where}.{head}.num_classes'] = value
    for name, loss in (model.get('distill_losses') or {}).items():
        if isinstance(loss, dict) and loss.get('num_classes') is not None:
            declared[f'model.distill_losses.{name}.num_classes'] = loss['num_classes']
    declared = {name: value for name, value in declared.items() if value is not None}
    values = set(declared.values()) | ({num_dataset} if num_dataset is not None else set())
    if len(values) > 1:
        listed = ', '.join(f'{name}={value}' for name, value in declared.items())
        dataset_text = (f'; the dataset {dataset.get("type")} declares {num_dataset} classes'
                        if num_dataset is not None else '')
        raise DistillConfigError(f'num_classes disagree: {listed}{dataset_text}')


def validate_distill_config(cfg: Config) -> None:
    """Check a distiller config; a no-op for configs whose model is not a distiller.

    Checks, in order: the student / teacher input keys are produced by the pipelines' packing
    transform (the student's also for validation and test; a streamed teacher's by its own
    dataloader, e.g. ``teacher_dataloader``); the ``num_classes`` of the
    student's and teacher's heads, of the distillation losses and of the training dataset's
    metainfo agree. Nothing is built (zoo references are read, to see their heads).

    Args:
        cfg: The full training config (after ``--cfg-options``).

    Raises:
        DistillConfigError: With the offending entries and how to fix them.
    """
    model = cfg.get('model') or {}
    if 'student_input' not in model:
        return
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    import fdkd_mm  # noqa: F401  (registers the transforms / datasets named in the config)
    from fdkd_mm.models.zoo import resolve_model_cfg
    model = model.to_dict() if hasattr(model, 'to_dict') else copy.deepcopy(dict(model))
    for role in ('student', 'teacher'):  # zoo models by cfg_path: check their real heads
        if isinstance(model.get(role), dict):
            model[role] = resolve_model_cfg(model[role])
    for teacher in (model.get('teachers') or {}).values():
        if isinstance(teacher, dict) and isinstance(teacher.get('network'), dict):
            teacher['network'] = resolve_model_cfg(teacher['network'])
    _check_inputs(cfg, model)
    _check_num_classes(cfg, model)
