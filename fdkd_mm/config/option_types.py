"""``--cfg-options`` values checked against the type the config holds at their key.

MMEngine's ``DictAction`` turns ``train_cfg.max_epochs=two`` into the string ``'two'`` and merges
it; the run then dies inside the training loop (``invalid literal for int()``) with the work
dir already created. A number or a switch given a string is refused here, naming the key.
"""
import difflib
from collections.abc import Mapping
from typing import Any, Optional

from fdkd_mm.errors import ConfigError

_MISSING = object()


def lookup(cfg: Any, key: str) -> Any:
    """The value at a dotted ``--cfg-options`` key (list indices as numbers), or a sentinel.

    Args:
        cfg: The config (or a dict / list below it).
        key: ``a.b.0.c``.

    Returns:
        The value, or the module's ``_MISSING`` sentinel when the key does not exist.
    """
    node = cfg
    for part in key.split('.'):
        if isinstance(node, Mapping) or hasattr(node, 'keys'):
            if part not in node:
                return _MISSING
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _kind(value: Any) -> Optional[str]:
    """'a switch (True/False)', 'an integer', 'a number' or None for other values."""
    if isinstance(value, bool):
        return 'True or False'
    if isinstance(value, int):
        return 'an integer'
    if isinstance(value, float):
        return 'a number'
    return None


def _hint(held: Any, given: str) -> str:
    """A guess at what was meant (``'Flase'`` → False, ``'2.'`` → 2)."""
    if isinstance(held, bool):
        match = difflib.get_close_matches(given.strip().lower(), ['true', 'false'], n=1)
        return f'; did you mean {match[0].capitalize()}?' if match else ''
    return ''


def check_option_types(base: Any, cfg_options: Optional[Mapping]) -> None:
    """Refuse an override whose value is a string where the config holds a number or switch.

    Args:
        base: The config as its file defines it (before the overrides).
        cfg_options: The parsed ``--cfg-options`` (key → value), or None.

    Raises:
        ConfigError: Naming the key, the value given and the type (and value) the config holds.
    """
    for key, value in (cfg_options or {}).items():
        held = lookup(base, key)
        if held is _MISSING or held is None or not isinstance(value, str):
            continue
        kind = _kind(held)
        if kind is None:
            continue
        raise ConfigError(f'--cfg-options {key}={value}: {key} must be {kind} (the config '
                          f'holds {held!r}), got the text {value!r}{_hint(held, value)}')
