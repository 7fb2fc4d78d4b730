"""Type checks for config switches, with errors that name the full config key and the value.

``--cfg-options model.ablation.frequency=Flase`` arrives as the string ``'Flase'``, which is
truthy: without a check the ablation silently runs with the switch on. These helpers are meant
to be called where a component receives its config (``__init__`` of a model or hook), with
the key spelled as the user writes it in the config (``'model.ablation.frequency'``).
"""
import difflib
import os
import os.path as osp
from collections.abc import Iterable, Mapping
from typing import Any, Literal, Optional

import numpy as np

_TEXT_BOOLS = {'true': True, 'false': False, 'yes': True, 'no': False, 'on': True, 'off': False}


def _closest(value: str, options: Iterable[str]) -> str:
    match = difflib.get_close_matches(str(value), [str(o) for o in options], n=1, cutoff=0.5)
    return f'; did you mean {match[0]!r}?' if match else ''


def check_bool(value: Any, key: str) -> bool:
    """``value`` if it is a real boolean (``True`` / ``False``, numpy's included).

    Args:
        value: The config value.
        key: Its full config key, e.g. ``'model.ablation.frequency'``.

    Returns:
        ``bool(value)``.

    Raises:
        TypeError: For anything else (strings, 0 / 1, None), naming key and value.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    hint = ''
    if isinstance(value, str):
        guess = _TEXT_BOOLS.get(value.strip().lower())
        if guess is None:
            guess = {'true': True, 'false': False}.get(
                (difflib.get_close_matches(value.lower(), ['true', 'false'], n=1) or [''])[0])
        hint = f'; did you mean {guess}?' if guess is not None else ''
    raise TypeError(f'{key}={value!r} must be True or False, got a {type(value).__name__}{hint}')


def check_choice(value: Any, key: str, choices: Iterable[Any]) -> Any:
    """``value`` if it is one of ``choices``.

    Args:
        value: The config value.
        key: Its full config key.
        choices: The allowed values.

    Returns:
        ``value``.

    Raises:
        ValueError: Naming key, value, the allowed values and the closest one.
    """
    choices = list(choices)
    # True == 1 in Python; a switch given where a number is expected (or back) is a mistake.
    if any(value == choice and isinstance(value, bool) == isinstance(choice, bool)
           for choice in choices):
        return value
    raise ValueError(f'{key}={value!r} is not one of {choices}'
                     f'{_closest(value, choices) if isinstance(value, str) else ""}')


def check_path(value: Any, key: str, kind: Literal['file', 'dir', 'any'] = 'file',
               allow_none: bool = False) -> Optional[str]:
    """``value`` if it names an existing file (or folder).

    Args:
        value: The config value (``str`` or ``os.PathLike``).
        key: Its full config key, e.g. ``'model.teacher_ckpt'``.
        kind: ``'file'``, ``'dir'`` or ``'any'`` (either).
        allow_none: Accept ``None`` (an optional path) and return it.

    Returns:
        The path as a string (``None`` when allowed and given).

    Raises:
        TypeError: Not a path.
        FileNotFoundError: Nothing there, or the wrong kind; names key and path.
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f'{key}={value!r} must be a path, got a {type(value).__name__}')
    path = os.fspath(value)
    exists = {'file': osp.isfile, 'dir': osp.isdir, 'any': osp.exists}[kind](path)
    if not exists:
        what = {'file': 'file', 'dir': 'folder', 'any': 'file or folder'}[kind]
        other = ' (it is a folder)' if kind == 'file' and osp.isdir(path) else \
            ' (it is a file)' if kind == 'dir' and osp.isfile(path) else ''
        raise FileNotFoundError(f'{key}={path!r}: no such {what}{other}')
    return path


def check_bool_dict(value: Any, key: str, allowed: Optional[Iterable[str]] = None,
                    required: bool = False) -> dict:
    """A dict of boolean switches, e.g. ``model.ablation``.

    Args:
        value: The config value (a mapping).
        key: Its full config key; entries are named ``<key>.<name>``.
        allowed: The switch names; an unknown name is an error (with the closest one).
        required: Every allowed name must be present.

    Returns:
        ``{name: bool}``.

    Raises:
        TypeError: Not a mapping, or an entry is not a boolean.
        ValueError: An unknown or (``required``) missing switch name.
    """
    if not isinstance(value, Mapping):
        raise TypeError(f'{key}={value!r} must be a dict of True/False switches, got a '
                        f'{type(value).__name__}')
    allowed = None if allowed is None else list(allowed)
    if allowed is not None:
        unknown = [name for name in value if name not in allowed]
        if unknown:
            raise ValueError(f'{key}.{unknown[0]} is not a known switch (known: {allowed})'
                             f'{_closest(unknown[0], allowed)}')
        missing = [name for name in allowed if name not in value]
        if required and missing:
            raise ValueError(f'{key} lacks the switch(es) {missing}')
    return {name: check_bool(flag, f'{key}.{name}') for name, flag in value.items()}
