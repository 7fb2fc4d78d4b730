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
        return list(value), bool(transform.get('plain_inputs', False))
    return None


def _check_inputs(cfg: Config, model: dict) -> None:
    roles = dict(student=model['student_input'], teacher=model.get('teacher_input'))
    if roles['teacher'] is None:  # a teacher-free distiller: the student's modality only
        del roles['teacher']
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


def _offline(model_cfg: dict) -> dict:
    """A copy of a distiller config that builds without the teacher checkpoint or downloads."""
    cfg = copy.deepcopy(model_cfg)
    cfg['teacher_ckpt'] = None
    # The live teacher's widths are checked; a teacher cache is checked when the run starts.
    cfg.pop('teacher_cache', None)
    for role in ('student', 'teacher'):
        network = cfg.get(role)
        if isinstance(network, dict):
            network.pop('pretrained', None)
            if isinstance(network.get('backbone'), dict):
                network['backbone'].pop('init_cfg', None)
    return cfg


def _declared_width(module: torch.nn.Module, source: str) -> Optional[int]:
    """The channel count a module declares for its output (or input), if it declares one."""
    attrs = (('out_channels', 'out_features', 'num_features') if source == 'output'
             else ('in_channels', 'in_features', 'num_features'))
    for attr in attrs:
        if isinstance(getattr(module, attr, None), int):
            return getattr(module, attr)
    # Containers (nn.Sequential, mmcv's ConvModule, connectors): the width of their last child
    # for the output, of their first for the input.
    children = list(module.children())
    for child in (reversed(children) if source == 'output' else children):
        width = _declared_width(child, source)
        if width is not None:
            return width
    return None


def _dry_run_width(network: torch.nn.Module, recorder_cfg: dict, model_cfg: dict
                   ) -> Optional[int]:
    """Record the tensor on a (1, C, 64, 64) input; ``None`` if the model cannot run on it."""
    from fdkd_mm.models.recorders import FeatureRecorder
    mean = (model_cfg.get('data_preprocessor') or {}).get('mean')
    channels = len(mean) if mean is not None else 3
    recorder = FeatureRecorder(network, **recorder_cfg)
    try:
        with torch.no_grad(), recorder:
            network.eval()(torch.zeros(1, channels, 64, 64), None, mode='tensor')
        return int(recorder.feature.shape[1])
    except Exception:  # e.g. a text or video model: widths are then checked at the first step
        return None


def recorded_width(distiller, role: str, name: str, model_cfg: dict) -> Optional[int]:
    """Width (dim 1, after pooling) of a recorder's tensor, or ``None`` if it cannot be known
    before the first step.

    Read from the recorded module's declaration (``out_channels`` of a conv, ``num_features``
    of a BN, the last child of a container); for modules that declare none (a ReLU recorded
    by its input, say) from a dry forward pass on a tiny zero image.
    """
    from fdkd_mm.models.recorders import ParameterRecorder
    group = distiller.student_recorders if role == 'student' else distiller.teacher_recorders
    recorder = group[name]
    if isinstance(recorder, ParameterRecorder) or distiller.pools[role].get(name) == 'tokens':
        return None  # a parameter has no feature width; token states are (N, L, D)
    width = _declared_width(recorder.module, recorder.source)
    if width is not None:
        return width
    network = distiller.student if role == 'student' else distiller.teacher
    recorder_cfg = dict(path=recorder.path, source=recorder.source,
                        call_index=recorder.call_index, data_index=recorder.data_index)
    return _dry_run_width(network, recorder_cfg, model_cfg[role])


def _check_widths(distiller, model_cfg: dict) -> None:
    """Every width a loss declares (``input_channels()``) against its mapped tensors."""
    from fdkd_mm.models.connectors import IdentityConnector
    from fdkd_mm.models.distillers.widths import WidthMismatchError, check_input_channels
    for loss_name, loss in distiller.losses.items():
        declared = loss.input_channels() if hasattr(loss, 'input_channels') else {}
        for arg, expected in declared.items():
            source = distiller.loss_sources[loss_name].get(arg)
            if source is None or source.kind != 'recorder':
                continue
            widths = []
            for index, (name, connector) in enumerate(zip(source.recorders, source.connectors)):
                width = recorded_width(distiller, source.role, name, model_cfg)
                module = distiller.connectors[connector] if connector is not None else None
                if module is not None and not isinstance(module, IdentityConnector):
                    wanted = _declared_width(module, 'input')
                    if width is not None and wanted is not None and wanted != width:
                        raise DistillConfigError(
                            f'model.connectors.{connector} takes {wanted} channels, but '
                            f'{distiller.describe(source, index, with_connector=False)} gives '
                            f'{width}')
                    width = _declared_width(module, 'output')
                widths.append(width)
            expected = expected if source.is_list else [expected]
            try:
                check_input_channels(loss_name, arg, expected, widths,
                                     [distiller.describe(source, i) for i in range(len(widths))],
                                     source.role)
            except WidthMismatchError as err:
                raise DistillConfigError(str(err)) from err


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
    for role in ('student', 'teacher'):
        for head in ('decode_head', 'head'):  # mmseg / mmpretrain
            value = ((model.get(role) or {}).get(head) or {}).get('num_classes')
            if value is not None:
                declared[f'model.{role}.{head}.num_classes'] = value
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


def build_offline(model_cfg: dict):
    """Build the distiller of ``model_cfg`` on the CPU without its teacher checkpoint.

    Raises:
        DistillConfigError: With the build error (recorder paths, mappings, signatures ...).
    """
    from fdkd_mm.models.builder import build_scoped
    try:
        return build_scoped(_offline(model_cfg))
    except (KeyError, TypeError, ValueError) as err:
        raise DistillConfigError(f'model: {err}') from err


def validate_distill_config(cfg: Config) -> None:
    """Check a distiller config; a no-op for configs whose model is not a distiller.

    Checks, in order: the student / teacher input keys are produced by the pipelines' packing
    transform (the student's also for validation and test); the ``num_classes`` of the
    student's and teacher's heads, of the distillation losses and of the training dataset's
    metainfo agree; the distiller builds (recorder paths, connector / recorder names of the
    mappings, each loss's forward signature); and every width a loss declares matches the
    tensors mapped to it, after their connectors. The distiller is built once on the CPU,
    without pretrained weights or the teacher checkpoint (cheap: no data is loaded).

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
    _check_inputs(cfg, model)
    _check_num_classes(cfg, model)
    _check_widths(build_offline(model), model)
