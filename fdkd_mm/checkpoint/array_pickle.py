"""Read pickles of numpy arrays (AVE's ``Audio-1004-SE/*.pkl``) without running code from them.

``pickle.load`` calls whatever callable a file names, so a dataset file from the internet could
run code. A pickled numpy array needs only a few names: ``ndarray``, ``dtype`` and numpy's
``_reconstruct`` / ``scalar`` helpers (under numpy 1's module ``numpy.core.multiarray`` or numpy
2's ``numpy._core.multiarray``), and for protocol 5 ``_frombuffer``. Plain containers and
scalars need none, except in protocol 2: ``set`` / ``frozenset`` / ``complex`` by name, and
bytes as ``_codecs.encode(text, 'latin1')``. :class:`ArrayUnpickler` resolves exactly these
(``_codecs.encode`` for latin-1 only) and refuses any other name before anything is called.
"""
import _compat_pickle
import io
import os
import pickle
from typing import Any, BinaryIO, Union

import numpy as np
from fdkd_mm.errors import FdkdError


class UnsafePickleError(FdkdError, pickle.UnpicklingError):
    """A pickle names an object outside the allowed ones; it was not unpickled."""


def numpy_array_globals() -> dict:
    """The globals a pickled numpy array (or numpy scalar) names, by their pickled names.

    Returns:
        ``{'module.name': object}``, with numpy 1's and numpy 2's module names for the
        multiarray helpers.
    """
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    names = {'numpy.ndarray': np.ndarray, 'numpy.dtype': np.dtype}
    for function in (multiarray._reconstruct, multiarray.scalar):
        for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
            names[f'{module}.{function.__name__}'] = function
    return names


def _array_pickle_globals() -> dict:
    """:func:`numpy_array_globals`, protocol 5's buffer helper and protocol 2's plain types."""
    numeric = np._core.numeric if hasattr(np, '_core') else np.core.numeric
    return {**numpy_array_globals(),
            'numpy.core.numeric._frombuffer': numeric._frombuffer,
            'numpy._core.numeric._frombuffer': numeric._frombuffer,
            'builtins.set': set, 'builtins.frozenset': frozenset, 'builtins.complex': complex}


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays and plain data, and nothing else.

    Args:
        file: The pickle, opened in binary mode.
        source: What to call the file in errors (its path).
    """

    def __init__(self, file: BinaryIO, source: str) -> None:
        super().__init__(file)
        self.source = source
        self.allowed = {**_array_pickle_globals(), '_codecs.encode': self._latin1_bytes}

    def find_class(self, module: str, name: str) -> Any:
        """Resolve an allowed name; raise :class:`UnsafePickleError` for any other."""
        # Protocol 2 written by Python 3 names builtins as Python 2 did (``__builtin__.set``).
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        found = self.allowed.get(f'{module}.{name}')
        if found is None:
            raise UnsafePickleError(
                f'refused to read {self.source}: the pickle names {module}.{name}, which is '
                'not part of a numpy array or plain data. Unpickling it could run code carried '
                'by the file, so it was not read. Spectrogram pickles hold a numpy array only; '
                'if you trust the file, convert it once to .npy with numpy.save.')
        return found

    def _latin1_bytes(self, text: str, encoding: str) -> bytes:
        """``_codecs.encode`` as protocol 2 writes bytes with it: latin-1, nothing else."""
        if encoding not in ('latin1', 'latin-1') or not isinstance(text, str):
            raise UnsafePickleError(f'refused to read {self.source}: the pickle calls '
                                    f"_codecs.encode with {encoding!r}, protocol 2 bytes use "
                                    "'latin1' only")
        return text.encode('latin1')

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f'refused to read {self.source}: the pickle refers to a '
                                'persistent object, which a numpy array pickle never does')


def load_array_pickle(file: Union[str, os.PathLike, bytes, BinaryIO],
                      source: Union[str, os.PathLike, None] = None) -> Any:
    """Unpickle numpy arrays and plain data; refuse anything else without running it.

    Args:
        file: A path, the pickle's bytes, or a binary file object.
        source: Name of the file in errors (default: ``file`` when it is a path).

    Returns:
        The unpickled array (or plain containers of arrays and scalars).

    Raises:
        UnsafePickleError: The pickle names any other object (the message names the file and
            the object); nothing of it was called.
    """
    if isinstance(file, (str, os.PathLike)):
        with open(file, 'rb') as handle:
            return ArrayUnpickler(handle, os.fspath(source or file)).load()
    stream = io.BytesIO(file) if isinstance(file, bytes) else file
    return ArrayUnpickler(stream, os.fspath(source) if source else '<pickle>').load()
