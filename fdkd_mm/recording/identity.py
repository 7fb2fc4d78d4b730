"""What a frozen teacher's recorded tensors depend on (input, network config, checkpoint sha256,
recorders, input transforms): the ``teacher`` record of teacher caches and banks
(:func:`teacher_identity`), compared field by field (:func:`identity_differences`).
"""
import os.path as osp
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from fdkd_mm.checkpoint.file_hash import file_sha256

#: Keys of a network config that do not change a loaded teacher's outputs (its weights come
#: from the checkpoint), left out of the comparison.
_WEIGHT_SOURCES = ('pretrained', 'init_cfg')
#: Recorder arguments that do not change the recorded values.
_VALUE_NEUTRAL_RECORDER_KEYS = ('clone', )


def plain(value: Any) -> Any:
    """``value`` as JSON types (tuples as lists, config dicts as dicts), keys sorted."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def recorder_spec(cfg: Mapping) -> dict:
    """A recorder config (``path``, ``source``, ``pool``, ...) with its defaults filled in and
    JSON types, so equal recorders compare equal."""
    spec = {k: v for k, v in dict(cfg).items() if k not in _VALUE_NEUTRAL_RECORDER_KEYS}
    if spec.get('source') == 'parameter':
        return plain(dict(path=spec['path'], source='parameter'))
    spec.setdefault('source', 'output')
    spec.setdefault('call_index', 0)
    spec.setdefault('data_index', 0)
    spec.setdefault('pool', None)
    return plain(spec)


def network_spec(cfg: Any) -> Any:
    """A network config without the keys that only say where initial weights come from.

    JSON types with keys sorted, except that a fusion network's branch order (the order its
    features are joined in, which sorting would hide) is kept as ``backbones_order``.

    Args:
        cfg: A network config (or any part of one).

    Returns:
        The comparable record.
    """
    if isinstance(cfg, Mapping):
        spec = {str(k): network_spec(v) for k, v in cfg.items() if k not in _WEIGHT_SOURCES}
        if isinstance(cfg.get('backbones'), Mapping):
            spec['backbones_order'] = [str(key) for key in cfg['backbones']]
        return plain(spec)
    if isinstance(cfg, (list, tuple)):
        return [network_spec(v) for v in cfg]
    return plain(cfg)


def first_difference(held: Any, run: Any, held_by: str, where: str = '') -> Optional[str]:
    """Where a recorded JSON value first differs from the run's (``'[1].hop_length: 353 in the
    cache, 300 in the run'``, ``held_by`` naming what holds it), or None."""
    if isinstance(held, dict) and isinstance(run, dict):
        for key in sorted(set(held) | set(run)):
            child = f'{where}.{key}' if where else str(key)
            if key not in held or key not in run:
                side = 'the run' if key not in held else held_by
                return f'{child}: only {side} has it'
            found = first_difference(held[key], run[key], held_by, child)
            if found:
                return found
        return None
    if isinstance(held, list) and isinstance(run, list):
        if len(held) != len(run):
            return (f'{where or "list"}: {len(held)} entries in {held_by}, {len(run)} in the '
                    'run')
        for index, (a, b) in enumerate(zip(held, run)):
            found = first_difference(a, b, held_by, f'{where}[{index}]')
            if found:
                return found
        return None
    if held != run:
        return f'{where or "value"}: {held!r} in {held_by}, {run!r} in the run'
    return None


def teacher_identity(input_key: Optional[str], network_cfg: Mapping, checkpoint: str,
                     recorders: Mapping[str, Mapping],
                     transforms: Optional[Union[Sequence[Mapping], Mapping]] = None) -> dict:
    """The identity record of a frozen teacher's pass.

    Args:
        input_key: The modality the teacher reads (``None``: the loader packs it alone), or a
            fusion teacher's modalities joined by ``+`` (``'image+audio'``).
        network_cfg: The teacher's network config.
        checkpoint: Its checkpoint file (hashed here).
        recorders: Name → recorder config (with ``pool``) of the recorded tensors.
        transforms: The transforms of the teacher's input (of each input key, a dict, for a
            fusion teacher); ``None`` leaves them out.

    Returns:
        ``dict(input, network, checkpoint, checkpoint_sha256, recorders[, transforms])``.
    """
    identity = dict(input=input_key, network=network_spec(network_cfg),
                    checkpoint=osp.abspath(checkpoint), checkpoint_sha256=file_sha256(checkpoint),
                    recorders={name: recorder_spec(cfg) for name, cfg in recorders.items()})
    if transforms is not None:  # a fusion teacher's: {key: transforms}
        identity['transforms'] = plain(transforms if isinstance(transforms, Mapping)
                                       else list(transforms))
    return identity


def identity_differences(held: Mapping, run: Mapping, held_by: str,
                         recorders_hint: str = '') -> list[str]:
    """Every field in which a held identity record differs from a run's: the run's recorders
    must be held with the same specs (more held is fine), its transforms (if it has them) too.

    Args:
        held: The record of a cache or bank (:func:`teacher_identity`).
        run: The run's record.
        held_by: What holds ``held``, for the messages (``'the cache'``, ``'the bank'``).
        recorders_hint: How to record tensors ``held`` lacks (``{names}``: all those needed).

    Returns:
        One line per differing field, empty when they match.
    """
    problems = []
    if held['input'] != run['input']:
        problems.append(f'teacher input: {held["input"]!r} in {held_by}, {run["input"]!r} in '
                        'the run')
    if held['checkpoint_sha256'] != run['checkpoint_sha256']:
        problems.append(f'teacher checkpoint: {held_by} was computed from {held["checkpoint"]} '
                        f'(sha256 {held["checkpoint_sha256"][:12]}...), the run\'s teacher_ckpt '
                        f'{run["checkpoint"]} has sha256 {run["checkpoint_sha256"][:12]}...')
    network = first_difference(held['network'], run['network'], held_by)
    if network:
        problems.append(f'teacher network config: {network}')
    lacking = sorted(set(run['recorders']) - set(held['recorders']))
    if lacking:
        names = ' '.join(sorted(set(held['recorders']) | set(run['recorders'])))
        problems.append(f'teacher tensors {lacking}: not in {held_by} (it holds '
                        f'{sorted(held["recorders"])})'
                        + (f'; {recorders_hint.format(names=names)}' if recorders_hint else ''))
    for name in sorted(set(run['recorders']) & set(held['recorders'])):
        difference = first_difference(held['recorders'][name], run['recorders'][name], held_by)
        if difference:
            problems.append(f'teacher recorder {name!r}: {difference}')
    if 'transforms' in run:
        transforms = first_difference(held.get('transforms'), run['transforms'], held_by)
        if transforms:
            problems.append(f'teacher input transforms: {transforms}')
    return problems
