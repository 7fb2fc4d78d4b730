"""A config as plain data in a checkpoint (``meta['cfg_dict']``), read back without running it.

MMEngine stores a run's config in every checkpoint as text (``meta['cfg']``). That text is
Python, read back only by executing it, so a crafted checkpoint could carry code as its
"config". ``CheckpointMetaHook`` (every training checkpoint) and the student export
(``fdkd_mm.apis.export``) therefore also store the config as data: its dict in plain Python
types (dicts, lists, tuples, strings, numbers, booleans, ``None``), which
``torch.load(weights_only=True)`` reads and ``Config(dict)`` rebuilds. The text stays, for
humans. Readers of a checkpoint's config use the data only.

Data still names what gets built: MMEngine's registries resolve a ``type`` they do not hold by
importing it (``type='subprocess.call'`` would run a command when the config is built), and a
scope by importing ``<scope>.registry``. :func:`config_from_meta` therefore admits only
``type`` values that a registry holds and scopes that name a registry.
"""
import copy
from collections.abc import Mapping
from typing import Any, Union

from mmengine import registry as mmengine_registry
from mmengine.config import Config
from mmengine.registry import Registry
from fdkd_mm.errors import CheckpointError, ConfigError

#: Key of the config's data in ``checkpoint['meta']``.
CONFIG_DATA_KEY = 'cfg_dict'

_PLAIN_SCALARS = (str, int, float, bool, type(None))
#: Most problems listed in one refusal.
_SHOWN = 5


class UnsafeConfigError(CheckpointError, ValueError):
    """A config read from a checkpoint names something outside the registries."""


def _plain(value: Any, where: str) -> Any:
    if isinstance(value, _PLAIN_SCALARS):
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f'config entry {where} has the key {key!r} ({type(key).__name__})'
                                '; a stored config takes str or int keys only')
            out[key] = _plain(item, f'{where}.{key}' if where else str(key))
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item, f'{where}[{index}]') for index, item in enumerate(value))
    raise TypeError(f'config entry {where} is a {type(value).__name__} ({value!r:.80}); a '
                    'config stored in a checkpoint must be plain data (dicts, lists, tuples, '
                    'strings, numbers, booleans, None): name types by their registered string')


def config_to_data(cfg: Union[Config, Mapping]) -> dict:
    """The config as plain data, for ``meta['cfg_dict']``.

    Args:
        cfg: A ``Config`` or a dict of one.

    Returns:
        A deep copy in plain types (tuples stay tuples: MMCV's transforms tell them from lists).

    Raises:
        TypeError: An entry is a function, class, module or other object (names the entry).
    """
    as_dict = cfg.to_dict() if isinstance(cfg, Config) else cfg
    return _plain(as_dict, '')


def _registries() -> list:
    """Every MMEngine registry: the roots of ``mmengine.registry`` and their descendants, with
    the modules they import lazily (``locations``) imported."""
    found, pending = {}, [value for value in vars(mmengine_registry).values()
                          if isinstance(value, Registry)]
    while pending:
        registry = pending.pop()
        if id(registry) not in found:
            registry.import_from_location()
            found[id(registry)] = registry
            pending.extend(registry.children.values())
    return list(found.values())


def registered_names() -> tuple[set, set]:
    """What a config read from a checkpoint may name.

    Returns:
        ``(types, scopes)``: every registered name, bare and prefixed with its registry's scope
        (``'ResNet'``, ``'mmseg.ResNet'``), and every registry scope.
    """
    types, scopes = set(), set()
    for registry in _registries():
        scopes.add(registry.scope)
        for name in registry.module_dict:
            types.update((name, f'{registry.scope}.{name}'))
    return types, scopes


def _unregistered(node: Any, where: str, types: set, scopes: set) -> list:
    problems = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            path = f'{where}.{key}' if where else str(key)
            if key == 'type' and not (isinstance(value, str) and value in types):
                problems.append(f'{path}={value!r} is not registered in any registry')
            elif key in ('_scope_', 'default_scope') and value is not None and \
                    value not in scopes:
                problems.append(f'{path}={value!r} is not the scope of a registry')
            problems += _unregistered(value, path, types, scopes)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            problems += _unregistered(value, f'{where}[{index}]', types, scopes)
    return problems


def check_registered(data: Mapping, source: str) -> None:
    """Refuse config data that names a ``type`` or scope outside the registries.

    Args:
        data: Config data (as :func:`config_to_data` makes it).
        source: The file it came from, for the message.

    Raises:
        UnsafeConfigError: Names the file and the entries.
    """
    problems = _unregistered(data, '', *registered_names())
    if problems:
        more = f' (and {len(problems) - _SHOWN} more)' if len(problems) > _SHOWN else ''
        raise UnsafeConfigError(
            f'refused the config stored in {source}: ' + '; '.join(problems[:_SHOWN]) + more
            + '. Building it would import and call whatever these name, so nothing was built.')


def config_from_meta(meta: Mapping, source: str, instead: str) -> Config:
    """The config a checkpoint stores as data, checked; never its text.

    Args:
        meta: The checkpoint's ``meta``.
        source: The checkpoint's path, for messages.
        instead: How the user passes the config instead (ends the messages).

    Returns:
        The config rebuilt from ``meta['cfg_dict']``.

    Raises:
        UnsafeConfigError: The data names unregistered types or scopes.
        ValueError: The checkpoint stores its config only as text, or not at all.
    """
    data = meta.get(CONFIG_DATA_KEY)
    if isinstance(data, Mapping):
        check_registered(data, source)
        return Config(copy.deepcopy(dict(data)))
    if meta.get('cfg'):
        raise ConfigError(
            f'{source} stores its config only as text (meta["cfg"]), as checkpoints written '
            'before fdkd_mm stored configs as data (meta["cfg_dict"]) do; reading that text '
            f'would execute it, which is never done for a checkpoint. {instead}')
    raise ConfigError(f'{source} holds no config (meta["cfg_dict"]). {instead}')
