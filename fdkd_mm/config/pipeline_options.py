"""Named pipeline parameters (``--pipeline-options frame_size=32``), found by transform type.

A config's pipelines differ in order between a Uni audio, a Uni visual, a distiller, a cache and
a teacher-bank config, so ``--cfg-options train_dataloader.dataset.pipeline.4.scale=32`` means
something else in each. A knob here names a quantity (the audio length, the frame size) and the
transform types and arguments that carry it; :func:`apply_pipeline_options` sets it in every
pipeline of the config's loaders (every list under a key ending in ``pipeline`` below a
``*_dataloader``: dataset wrappers, ``ConcatDataset`` lists, the teacher bank's loader), so the
same option means the same thing in every config. A knob whose transforms a config does not have
(the audio length of a visual Uni model) changes nothing there.
"""
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

from fdkd_mm.errors import ConfigError


def _positive_number(value: Any, name: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(f'{name} must be positive, got {value!r}')
    return number


def _positive_int(value: Any, name: str) -> int:
    number = _positive_number(value, name)
    if number != int(number):
        raise ValueError(f'{name} must be a whole number, got {value!r}')
    return int(number)


def _pair(value: Any, name: str) -> tuple[int, int]:
    """``64,80`` / ``(64, 80)`` / ``[64, 80]`` / ``64`` → ``(64, 80)`` / ``(64, 64)``."""
    if isinstance(value, str):
        value = [part for part in value.strip('()[] ').replace('x', ',').split(',') if part]
    if not isinstance(value, (list, tuple)):
        value = [value, value]
    if len(value) != 2:
        raise ValueError(f'{name} takes (h, w), e.g. {name}=64,80; got {value!r}')
    return tuple(_positive_int(v, name) for v in value)  # type: ignore[return-value]


@dataclass(frozen=True)
class Knob:
    """One named pipeline parameter.

    Attributes:
        name: The option's name (``frame_size``).
        help: What it changes, for ``--help`` and error messages.
        parse: Value parser (raises ``ValueError`` with the reason).
        targets: Short transform type → ``(argument, value → argument value)``.
        follow: Name of a config-wide setting that must follow the value (see
            :data:`FOLLOWERS`), or ``None``.
    """
    name: str
    help: str
    parse: Callable[[Any, str], Any]
    targets: Mapping[str, tuple[str, Callable[[Any], Any]]]
    follow: Optional[str] = None


def _same(value: Any) -> Any:
    return value


KNOBS: dict[str, Knob] = {knob.name: knob for knob in (
    Knob('audio_duration', 'seconds of audio in each spectrogram (LogSpectrogram.duration)',
         _positive_number, {'LogSpectrogram': ('duration', _same)}),
    Knob('sample_rate', 'audio sample rate in Hz (LoadWaveform.sample_rate)', _positive_int,
         {'LoadWaveform': ('sample_rate', _same)}),
    Knob('spectrogram_frames', 'time frames of a precomputed spectrogram (AVE: '
         'LoadSpectrogram.num_frames)', _positive_int,
         {'LoadSpectrogram': ('num_frames', _same)}),
    Knob('num_frames', 'video frames sampled per clip (SampleFrames.num_frames)', _positive_int,
         {'SampleFrames': ('num_frames', _same)}),
    Knob('frame_size', 'side of the video frames: the training random resized crop and the '
         'test resize (FramesRandomResizedCrop.scale, FramesResize.scale)', _positive_int,
         {'FramesRandomResizedCrop': ('scale', _same), 'FramesResize': ('scale', _same)}),
    Knob('image_size', 'side of the CrisisMMD images: the training random resized crop, the '
         'test centre crop and its short-edge resize (8/7 of it, as 256 is of 224)',
         _positive_int,
         {'RandomResizedCrop': ('scale', _same), 'CenterCrop': ('crop_size', _same),
          'ResizeEdge': ('scale', lambda size: round(size * 8 / 7))}),
    Knob('crop', 'NYU training crop (h, w), e.g. crop=64,80: the random crop and the random '
         "resize's base scale (w, h)", _pair,
         {'RandomCrop': ('crop_size', _same), 'RandomResize': ('scale', lambda hw: hw[::-1])},
         follow='padding'),
    Knob('text_length', 'tokens per text (TokenizeText.max_length)', _positive_int,
         {'TokenizeText': ('max_length', _same)}),
)}


def _set_padding(node: Any, value: tuple[int, int], where: str = '') -> list[str]:
    """Every segmentor preprocessor's padding ``size`` (h, w) = the training crop: mmseg pads
    each training batch to it, so a smaller crop would be padded back to the full frame."""
    changed = []
    if _is_mapping(node):
        for key, item in node.items():
            path = f'{where}.{key}' if where else str(key)
            if key == 'data_preprocessor' and _is_mapping(item) and 'size' in item:
                item['size'] = tuple(value)
                changed.append(f'{path}.size')
            else:
                changed += _set_padding(item, value, path)
    elif isinstance(node, (list, tuple)):
        for index, item in enumerate(node):
            changed += _set_padding(item, value, f'{where}.{index}')
    return changed


#: Config-wide settings that follow a knob's value: name → (config, value) → keys changed.
FOLLOWERS: dict[str, Callable[[Any, Any], list[str]]] = {'padding': _set_padding}


def _short(transform: Mapping) -> str:
    return str(transform.get('type', '')).rsplit('.', 1)[-1]


def parse_pipeline_options(items: Union[None, Sequence[str], Mapping[str, Any]]
                           ) -> dict[str, Any]:
    """``['frame_size=32', 'crop=64,80']`` (or a mapping) → ``{'frame_size': 32, ...}``.

    Raises:
        ConfigError: An unknown name (the known ones listed), a missing ``=`` or a bad value.
    """
    if not items:
        return {}
    pairs = items.items() if isinstance(items, Mapping) else []
    if not isinstance(items, Mapping):
        pairs = []
        for item in items:
            name, sep, value = str(item).partition('=')
            if not sep:
                raise ConfigError(f'--pipeline-options {item!r}: write name=value, e.g. '
                                  'frame_size=32')
            pairs.append((name.strip(), value.strip()))
    parsed = {}
    for name, value in pairs:
        knob = KNOBS.get(name)
        if knob is None:
            raise ConfigError(f'--pipeline-options: unknown name {name!r}; known: '
                              + ', '.join(f'{k} ({v.help})' for k, v in KNOBS.items()))
        try:
            parsed[name] = knob.parse(value, name)
        except (TypeError, ValueError) as error:
            raise ConfigError(f'--pipeline-options {name}={value}: {error}') from None
    return parsed


def _is_mapping(node: Any) -> bool:
    # mmengine's Config is no Mapping but delegates items() to its ConfigDict.
    return isinstance(node, Mapping) or (hasattr(node, 'items') and hasattr(node, 'keys'))


def _pipelines(node: Any, where: str):
    """Yield ``(key path, pipeline list)`` for every list under a key ending in ``pipeline``."""
    if _is_mapping(node):
        for key, value in node.items():
            path = f'{where}.{key}' if where else str(key)
            if str(key).endswith('pipeline') and isinstance(value, (list, tuple)):
                yield path, value
            else:
                yield from _pipelines(value, path)
    elif isinstance(node, (list, tuple)):
        for index, item in enumerate(node):
            yield from _pipelines(item, f'{where}.{index}')


def apply_pipeline_options(cfg: MutableMapping,
                           options: Union[None, Sequence[str], Mapping[str, Any]]
                           ) -> dict[str, list[str]]:
    """Set named pipeline parameters in every pipeline of a config, in place.

    Args:
        cfg: The loaded config (``mmengine.Config`` or a dict).
        options: ``name=value`` strings or a mapping (see :data:`KNOBS`).

    Returns:
        Name → the ``<pipeline key>.<index>.<argument>`` entries it set (empty when the config
        has none of its transforms).

    Raises:
        ConfigError: An unknown name or a bad value.
    """
    values = parse_pipeline_options(options)
    changed: dict[str, list[str]] = {name: [] for name in values}
    if not values:
        return changed
    # The loaders' pipelines (below wrappers, in the teacher bank's loader too): the config's
    # top-level pipeline variables were copied into them when it was read and are not used.
    loaders = {key: cfg[key] for key in list(cfg.keys()) if str(key).endswith('_dataloader')}
    for path, pipeline in list(_pipelines(loaders, '')):
        for index, transform in enumerate(pipeline):
            if not _is_mapping(transform):
                continue
            for name, value in values.items():
                target = KNOBS[name].targets.get(_short(transform))
                if target is not None:
                    argument, convert = target
                    transform[argument] = convert(value)
                    changed[name].append(f'{path}.{index}.{argument}')
    for name, value in values.items():
        if KNOBS[name].follow is not None and changed[name]:
            changed[name] += FOLLOWERS[KNOBS[name].follow](cfg, value)
    return changed


def pipeline_options_help() -> str:
    """One line per knob, for ``--help``."""
    return '; '.join(f'{name}: {knob.help}' for name, knob in KNOBS.items())
