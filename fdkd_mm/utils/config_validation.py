"""Check a distillation config before any training starts, with errors that say what to fix.

A wrong input key, recorder path, feature width or class count otherwise surfaces minutes
into a run (after data loading and the teacher checkpoint), or, for widths, as a shape error
deep inside the loss. :func:`validate_distill_config` finds them at start-up.
"""
import copy
import inspect
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

#: Packing transforms and the argument naming their modalities (their packed input keys).
_PACKERS = {
    'PackMultiModalSegInputs': 'modalities',
    'PackAudioVisualInputs': 'keys',
    'PackTextImageInputs': 'modalities',
}


class DistillConfigError(ValueError):
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
        if isinstance(value, str):  # PackTextImageInputs: one name = plain uni-modal inputs
            return [value], True
        return list(value), bool(transform.get('plain_inputs', False))
    return None


def _check_inputs(cfg: Config, model: dict) -> None:
    roles = dict(student=model['student_input'], teacher=model['teacher_input'])
    for loader, needed in (('train_dataloader', roles),
                           ('val_dataloader', dict(student=roles['student'])),
                           ('test_dataloader', dict(student=roles['student']))):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        packed = packed_input_keys(dataset.get('pipeline'))
        if packed is None:
            continue
        keys, plain = packed
        if plain:
            raise DistillConfigError(
                f'{loader}: the packing transform packs plain inputs ({keys}), but a distiller '
                'needs a dict of modalities; set plain_inputs=False and pack both modalities')
        for role, key in needed.items():
            if key not in keys:
                raise DistillConfigError(
                    f'model.{role}_input={key!r} is not packed by the {loader} pipeline: its '
                    f'packing transform produces {keys}. Fix {role}_input or add the modality '
                    'to the packing transform.')


def _no_download(model_cfg: dict) -> dict:
    """A copy of a sub-model config that builds without fetching pretrained weights."""
    cfg = copy.deepcopy(model_cfg)
    cfg.pop('pretrained', None)
    backbone = cfg.get('backbone')
    if isinstance(backbone, dict):
        backbone.pop('init_cfg', None)
    return cfg


def _declared_width(module: torch.nn.Module, source: str) -> Optional[int]:
    """The channel count a module declares for its output (or input), if it declares one."""
    if source == 'output':
        for attr in ('out_channels', 'out_features', 'num_features'):
            if isinstance(getattr(module, attr, None), int):
                return getattr(module, attr)
        # Containers (nn.Sequential, mmcv's DepthwiseSeparableConvModule / ConvModule):
        # the width of their last child.
        children = list(module.children())
        for child in reversed(children):
            width = _declared_width(child, source)
            if width is not None:
                return width
        return None
    for attr in ('in_channels', 'in_features', 'num_features'):
        if isinstance(getattr(module, attr, None), int):
            return getattr(module, attr)
    return None


def _dry_run_width(model: torch.nn.Module, recorder_cfg: dict, model_cfg: dict) -> Optional[int]:
    """Record the feature on a (1, C, 64, 64) input; ``None`` if the model cannot run on it."""
    from fdkd_mm.models.recorders import FeatureRecorder
    mean = (model_cfg.get('data_preprocessor') or {}).get('mean')
    channels = len(mean) if mean is not None else 3
    recorder = FeatureRecorder(model, **recorder_cfg)
    try:
        with torch.no_grad(), recorder:
            model.eval()(torch.zeros(1, channels, 64, 64), None, mode='tensor')
        return int(recorder.feature.shape[1])
    except Exception:  # e.g. a text model: widths are then checked at the first step
        return None


def feature_width(model: torch.nn.Module, recorder_cfg: dict, model_cfg: dict,
                  role: str) -> Optional[int]:
    """Width (dim 1) of the recorded feature; the recorder path is validated on the way.

    Read from the recorded module's declaration (``out_channels`` of a conv, ``num_features``
    of a BN, the last child of a container); for modules that declare none (a ReLU recorded
    by its input, say) from a dry forward pass on a tiny zero image.
    """
    from fdkd_mm.models.recorders import FeatureRecorder
    try:
        recorder = FeatureRecorder(model, **recorder_cfg)
    except (TypeError, ValueError) as err:
        raise DistillConfigError(f'model.{role}_recorder: {err}') from err
    width = _declared_width(recorder.module, recorder.source)
    return width if width is not None else _dry_run_width(model, recorder_cfg, model_cfg)


def _connector_width(connector: Optional[dict], width: Optional[int], role: str) -> Optional[int]:
    if not connector:
        return width
    expected = connector.get('in_channels')
    if width is not None and expected is not None and expected != width:
        raise DistillConfigError(
            f'model.{role}_connector.in_channels={expected}, but the recorded {role} feature '
            f'has {width} channels')
    return connector.get('out_channels', width)


def _check_widths(model: dict) -> None:
    from fdkd_mm.models.builder import build_scoped
    widths = {}
    for role in ('student', 'teacher'):
        recorder_cfg = model.get(f'{role}_recorder')
        if recorder_cfg is None:  # named recorders: several tensors, checked by the distiller
            return
        network = build_scoped(_no_download(model[role]))
        width = feature_width(network, dict(recorder_cfg), model[role], role)
        widths[role] = _connector_width(model.get(f'{role}_connector'), width, role)
    expected = model.get('in_channels')
    values = {w for w in widths.values() if w is not None}
    if values and expected is not None:
        values.add(expected)
    if len(values) > 1:
        raise DistillConfigError(
            f'feature widths cannot meet: student {model["student_recorder"]["path"]!r} gives '
            f'{widths["student"]} channels, teacher {model["teacher_recorder"]["path"]!r} gives '
            f'{widths["teacher"]}, heads expect in_channels={expected}. Add a '
            "student_connector=dict(type='ProjectionConnector', in_channels=..., "
            'out_channels=...) or fix the recorder paths / in_channels.')


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
    declared = {'model.num_classes': model.get('num_classes')}
    for role in ('student', 'teacher'):
        for head in ('decode_head', 'head'):  # mmseg / mmpretrain
            value = (model[role].get(head) or {}).get('num_classes')
            if value is not None:
                declared[f'model.{role}.{head}.num_classes'] = value
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
    transform (the student's also for validation and test); the recorded module paths exist
    and the recorded feature widths (after connectors) match each other and ``in_channels``;
    ``num_classes`` of the distiller, of the student's and teacher's heads and of the training
    dataset's metainfo agree. Student and teacher are built once on the CPU, without
    pretrained weights or the teacher checkpoint (cheap: no data is loaded).

    Args:
        cfg: The full training config (after ``--cfg-options``).

    Raises:
        DistillConfigError: With the offending entries and how to fix them.
    """
    model = cfg.get('model') or {}
    if not ('student_input' in model and 'teacher_input' in model):
        return
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    import fdkd_mm  # noqa: F401  (registers the transforms / datasets named in the config)
    _check_inputs(cfg, model)
    _check_num_classes(cfg, model)
    _check_widths(model)
