"""Load MMEngine checkpoints with ``torch.load(weights_only=True)``: no code from the file runs.

MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``; since torch 2.6 that means the
safe unpickler, which refuses MMEngine's own checkpoints: their message hub pickles
``HistoryBuffer`` objects, numpy arrays and scalars, and the buffers' statistics methods as
``getattr(HistoryBuffer, 'mean')``. Unpickling everything (torch's unrestricted mode) would
accept those, and any payload a file carries with them.

Here the safe unpickler is given exactly the extra types MMEngine writes, for the duration of
one load (``torch.serialization.safe_globals``): the torch-wide allow-list is left as it was.
``getattr`` is the dangerous one: allowed as such, a pickle could walk from any allowed object
to ``os.system``. It is replaced by :func:`history_buffer_method`, which resolves nothing but
the public methods of ``HistoryBuffer``.
"""
import os
import os.path as osp
import pickle
import re
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable, Optional, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader

from .array_pickle import UnsafePickleError, numpy_array_globals
from fdkd_mm.errors import CheckpointError


class UnsafeCheckpointError(CheckpointError, UnsafePickleError):
    """A checkpoint holds objects outside what MMEngine writes; it was not unpickled."""


class CorruptCheckpointError(CheckpointError):
    """A checkpoint file is truncated or not a checkpoint at all."""


def history_buffer_method(owner: type, name: str) -> Callable:
    """The ``getattr`` that unpickling a ``HistoryBuffer`` needs, and nothing more.

    ``HistoryBuffer.__getstate__`` stores its statistics methods (``mean``, ``max``, ...),
    which pickle as ``getattr(HistoryBuffer, name)``.

    Args:
        owner: The object the pickle asks an attribute of; must be ``HistoryBuffer``.
        name: The attribute; must be a public method defined by ``HistoryBuffer``.

    Returns:
        The method (a plain function).

    Raises:
        UnsafeCheckpointError: For any other object or attribute.
    """
    method = vars(HistoryBuffer).get(name) if owner is HistoryBuffer else None
    if not callable(method) or name.startswith('_'):
        raise UnsafeCheckpointError(
            f'getattr({getattr(owner, "__name__", type(owner).__name__)}, {name!r}) (only public '
            'methods of HistoryBuffer are allowed)')
    return method


def _numpy_globals() -> list:
    """numpy arrays, scalars and dtypes, under numpy 2's and numpy 1's module names."""
    dtype_classes = [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGU']
    return dtype_classes + [(found, name) for name, found in numpy_array_globals().items()]


def mmengine_checkpoint_globals() -> list:
    """The globals MMEngine checkpoints need beyond torch's default safe set.

    Returns:
        Entries for ``torch.serialization.safe_globals``: objects, or ``(object, name)`` where
        the pickle names it differently.
    """
    return [HistoryBuffer, (history_buffer_method, 'builtins.getattr'), *_numpy_globals()]


@contextmanager
def _mmengine_globals_allowed() -> Iterator[None]:
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        yield


def _refusal_detail(error: Exception) -> Optional[str]:
    """What the safe unpickler refused, from torch's long message; ``None`` if it refused
    nothing (the pickle itself is broken)."""
    text = str(error)
    for pattern in (r'GLOBAL (\S+) was not an allowed', r'unsupported GLOBAL (\S+) whose',
                    r'unrecognized function (.+?)$', r'(getattr\(.*?allowed\))',
                    r'(Can only (?:build|create) .+?)$'):
        found = re.search(pattern, text, re.MULTILINE)
        if found:
            name = found.group(1).rstrip('.;')
            # torch drops the module of builtins ('exec'); say where the name lives.
            return f'builtins.{name}' if pattern.startswith('GLOBAL') and '.' not in name \
                else name
    return None


def load_checkpoint_file(filename: Union[str, os.PathLike],
                         map_location: Optional[Union[str, Callable]] = None) -> dict:
    """Load a local checkpoint with the safe unpickler and MMEngine's types allowed.

    Args:
        filename: Local path of the checkpoint.
        map_location: Same as :func:`torch.load`.

    Returns:
        The checkpoint (a dict, or whatever plain data / tensors the file holds).

    Raises:
        FileNotFoundError: The file does not exist.
        CorruptCheckpointError: The file is truncated or not a torch checkpoint (names it).
        UnsafeCheckpointError: The file holds other objects (names the file and the object);
            nothing of it was executed.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist')
    try:
        with _mmengine_globals_allowed():
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        refused = _refusal_detail(error) if 'Weights only load failed' in str(error) else None
        if refused is None:
            raise _corrupt(filename, error) from error
        raise UnsafeCheckpointError(
            f'refused to load checkpoint {filename}: it holds {refused}, which '
            'is not among the types MMEngine checkpoints contain. Unpickling it could run code '
            'carried by the file, so it was not loaded. If you trust the file and its author, '
            'save its state_dict alone (torch.save of a dict of tensors) and load that.') from None
    except _BROKEN_FILE as error:  # zip / pickle structure broken: truncated, or no checkpoint
        raise _corrupt(filename, error) from error
    except RuntimeError as error:
        if 'PytorchStreamReader' in str(error) or 'zip archive' in str(error):
            raise _corrupt(filename, error) from error
        # Not the file's structure (e.g. CUDA tensors without a GPU): say which file.
        raise RuntimeError(f'cannot load checkpoint {filename}: {error}') from error


#: What torch's unpickler raises on bytes that are not a (complete) checkpoint.
_BROKEN_FILE = (EOFError, OSError, KeyError, IndexError, ValueError, TypeError, AttributeError,
                zipfile.BadZipFile, struct.error)


def _corrupt(filename: str, error: Exception) -> CorruptCheckpointError:
    lines = [line for line in str(error).splitlines() if line.strip()]
    detail = next((line for line in lines if 'Unsupported operand' in line),
                  lines[0] if lines else 'no detail')
    return CorruptCheckpointError(
        f'checkpoint {filename} cannot be read: it is truncated or not a torch checkpoint '
        f'({type(error).__name__}: {detail})')


#: Logged at the first checkpoint MMEngine's ``CheckpointLoader`` loads from a local file.
LOADER_NOTICE = ('fdkd_mm: local checkpoints load with torch.load(weights_only=True), MMEngine\'s '
                 'own types allowed (import fdkd_mm replaced MMEngine\'s local-file loader for '
                 'the whole process); files holding other objects are refused')
_announced = False


def load_from_safe_local(filename: Union[str, os.PathLike],
                         map_location: Optional[Union[str, Callable]] = None) -> dict:
    """:func:`load_checkpoint_file`, as MMEngine's local-file loader; the first call logs it.

    ``import fdkd_mm`` swaps MMEngine's local-file loader for every library in the process
    (in the safe direction). The first load logs :data:`LOADER_NOTICE`, so a refusal met in
    another library's code can be traced to fdkd_mm; MMEngine itself logs each load as
    "Loads checkpoint by safe_local backend" (from this function's name).
    """
    global _announced
    if not _announced:
        _announced = True
        print_log(LOADER_NOTICE, logger='current')
    return load_checkpoint_file(filename, map_location)


def register_checkpoint_loader() -> None:
    """Make MMEngine's ``CheckpointLoader`` load local files with :func:`load_checkpoint_file`.

    The empty prefix is MMEngine's scheme for local paths (it matches when no URL scheme does),
    used by ``load_checkpoint``, ``Runner.load_checkpoint`` / ``resume`` and ``init_cfg``. The
    first load in the process logs :data:`LOADER_NOTICE`.
    """
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_safe_local, force=True)
