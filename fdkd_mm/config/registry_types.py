"""Every ``type`` of a config checked against the MMEngine registries, before anything is built.

MMEngine finds a misspelt type only when it builds that component: a loss after the datasets,
the teacher and the pre-training validation, as ``KeyError: 'FDCMKDLos is not in the
mmengine::model registry'`` without the config key. Here the whole config is walked once: each
``type`` string (models, losses, decouplers, connectors, datasets, transforms, hooks, optimizers,
schedulers, metrics, visualizers ...) must be registered in some registry of its scope (the
``scope.`` prefix or ``_scope_``; unprefixed names in any scope, as MMEngine resolves them in the
default scope and its parents), and an unknown one is named with its config key and the
closest registered name.
"""
import difflib
import importlib
from collections.abc import Iterator, Mapping
from typing import Any, Optional

from mmengine.registry import Registry

from fdkd_mm.errors import ConfigError

#: The scope of MMEngine's root registries.
ROOT_SCOPE = 'mmengine'


def iter_types(node: Any, path: str = '', scope: Optional[str] = None
               ) -> Iterator[tuple[str, str, Optional[str]]]:
    """Every string ``type`` of a config, with its key path and ``_scope_``.

    Args:
        node: A config, dict, list or value.
        path: The key path of ``node`` (``model.distill_losses.loss_fd``).
        scope: The ``_scope_`` in force (set by an enclosing dict).

    Yields:
        ``(key path of the type, type string, _scope_ or None)``.
    """
    if isinstance(node, Mapping):
        scope = node.get('_scope_', scope)
        if isinstance(node.get('type'), str):
            yield (f'{path}.type' if path else 'type'), node['type'], scope
        for key, value in node.items():
            if key != 'type':
                yield from iter_types(value, f'{path}.{key}' if path else str(key), scope)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from iter_types(value, f'{path}.{index}' if path else str(index), scope)


def all_registries() -> list[Registry]:
    """Every registry of the tree: MMEngine's roots and the children scopes attached to them."""
    import mmengine.registry as roots
    found, stack = {}, [r for r in vars(roots).values() if isinstance(r, Registry)]
    while stack:
        registry = stack.pop()
        if id(registry) not in found:
            found[id(registry)] = registry
            stack.extend(registry.children.values())
    return list(found.values())


def _visible(registry: Registry) -> set[str]:
    """Names a registry resolves: its own and its parents'."""
    names = set()
    while registry is not None:
        names.update(registry.module_dict)
        registry = registry.parent
    return names


def registered_names() -> dict[str, set[str]]:
    """Scope → every name resolvable in that scope (any registry of it, parents included)."""
    names: dict[str, set[str]] = {}
    for registry in all_registries():
        names.setdefault(registry.scope, set()).update(_visible(registry))
    return names


def _import_scope(scope: str) -> None:
    """Attach a scope's registries to the tree (``<scope>.registry``), if it is a package."""
    try:
        importlib.import_module(f'{scope}.registry')
    except ImportError:
        pass


def _import_locations() -> None:
    """Import the modules every registry declares (``locations``): registers lazy names."""
    for registry in all_registries():
        try:
            registry.import_from_location()
        except Exception:  # a broken optional location must not hide the real error
            pass


def _split(type_name: str, scope: Optional[str], scopes: set[str]
           ) -> tuple[Optional[str], str]:
    """(scope or None, name) of a type string; a dotted path of no known scope is (None, it)."""
    if '.' in type_name:
        prefix, _, name = type_name.partition('.')
        if prefix in scopes:
            return prefix, name
        return None, type_name
    return scope, type_name


def _resolvable(scope: Optional[str], name: str, names: dict[str, set[str]]) -> bool:
    if scope is None:
        return any(name in scope_names for scope_names in names.values())
    return name in names.get(scope, set())


def _is_import_path(type_name: str) -> bool:
    """A dotted ``package.module.Class`` MMEngine would import (``torch.optim.SGD``)."""
    module, _, attr = type_name.rpartition('.')
    if not module:
        return False
    try:
        return hasattr(importlib.import_module(module), attr)
    except Exception:
        return False


def suggestion(scope: Optional[str], name: str, names: dict[str, set[str]]) -> str:
    """``; did you mean 'X'?`` for the closest registered name, or ``''``."""
    pool = names.get(scope, set()) if scope else set().union(*names.values())
    match = difflib.get_close_matches(name, sorted(pool), n=1, cutoff=0.6)
    if not match:
        return ''
    return f"; did you mean {(scope + '.' if scope else '') + match[0]!r}?"


def check_registry_types(cfg: Mapping, source: str = 'the config') -> None:
    """Raise on the first ``type`` of ``cfg`` no registry knows.

    Args:
        cfg: The loaded config (overrides applied).
        source: The config file, named in the message.

    Raises:
        ConfigError: ``<key>: unknown type 'X' (not in any registry of scope S); did you mean
            'Y'?`` for the first unknown type.
    """
    found = list(iter_types(dict(cfg)))
    for prefix in {t.partition('.')[0] for _, t, _ in found if '.' in t} | {
            s for _, _, s in found if s} | {cfg.get('default_scope') or ROOT_SCOPE}:
        _import_scope(prefix)
    names = registered_names()
    imported = False
    for key, type_name, scope in found:
        where, name = _split(type_name, scope, set(names))
        if _resolvable(where, name, names):
            continue
        if not imported:  # lazily registered names (registry ``locations``) on a first miss
            _import_locations()
            names, imported = registered_names(), True
            if _resolvable(where, name, names):
                continue
        if where is None and '.' in name and _is_import_path(name):
            continue
        in_scope = f' of scope {where!r}' if where else ''
        raise ConfigError(f'{key}: unknown type {type_name!r} (in no registry{in_scope})'
                          f'{suggestion(where, name, names)} [{source}]')
