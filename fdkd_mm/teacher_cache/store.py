"""The on-disk store of a teacher cache: one memory-mapped ``.npy`` per recorded tensor.

Layout of one store (one split of one teacher)::

    <root>/<split>/manifest.json   what the tensors were computed from (see manifest.py)
    <root>/<split>/<name>.npy      recorder ``name``: (N, ...) rows keyed by dataset index,
                                   or the tensor itself for a parameter recorder
    <root>/<split>/written.npy     (N,) bool: which rows hold a computed output

A store is written under a temporary name next to its final one and renamed when complete, so
a crashed or interrupted build never leaves a directory that looks like a cache.
"""
import json
import os
import os.path as osp
import re
import shutil
import uuid
from typing import Optional

import numpy as np

from fdkd_mm.checkpoint.atomic import fsync_path
from fdkd_mm.teacher_cache.manifest import (MANIFEST_NAME, TeacherCacheError,
                                            read_manifest)

#: Storage dtypes by their ``--dtype`` name.
DTYPES = {'fp16': np.float16, 'fp32': np.float32}
WRITTEN_NAME = 'written.npy'
_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')


def check_name(name: str) -> str:
    """A recorder name usable as a file name (``written`` is reserved)."""
    if not _NAME.match(name) or name == osp.splitext(WRITTEN_NAME)[0]:
        raise ValueError(f'recorder name {name!r} cannot name a cache file; use letters, '
                         'digits, "_", "-" and "."')
    return name


class TeacherCacheWriter:
    """Write one store: rows by dataset index, then the manifest, then rename into place.

    Use as a context manager; leaving it with an exception removes the temporary directory.

    Args:
        store_dir: Final directory of the store (``<root>/<split>``).
        num_samples: Dataset length N (rows per recorder).
        dtype: ``'fp16'`` or ``'fp32'``.
        overwrite: Replace an existing store at ``store_dir`` (only once the new one is
            complete).
    """

    def __init__(self, store_dir: str, num_samples: int, dtype: str = 'fp32',
                 overwrite: bool = False) -> None:
        if dtype not in DTYPES:
            raise ValueError(f'dtype must be one of {sorted(DTYPES)}, got {dtype!r}')
        if osp.exists(store_dir) and not overwrite:
            raise FileExistsError(f'{store_dir} exists; pass --overwrite to replace it')
        self.store_dir = store_dir
        self.num_samples = num_samples
        self.dtype = dtype
        parent = osp.dirname(osp.abspath(store_dir))
        os.makedirs(parent, exist_ok=True)
        self.tmp_dir = osp.join(parent, f'.{osp.basename(store_dir)}.tmp-{uuid.uuid4().hex[:8]}')
        os.makedirs(self.tmp_dir)
        self._arrays: dict[str, np.memmap] = {}
        self._parameters: dict[str, np.ndarray] = {}
        self.written = np.zeros(num_samples, dtype=bool)

    def __enter__(self) -> 'TeacherCacheWriter':
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        if exc_type is not None:
            self._arrays.clear()
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def _array(self, name: str, row_shape: tuple) -> np.memmap:
        if name not in self._arrays:
            path = osp.join(self.tmp_dir, check_name(name) + '.npy')
            self._arrays[name] = np.lib.format.open_memmap(
                path, mode='w+', dtype=DTYPES[self.dtype], shape=(self.num_samples, *row_shape))
        array = self._arrays[name]
        if array.shape[1:] != row_shape:
            raise TeacherCacheError(f'recorder {name!r}: a sample of shape {row_shape}, earlier '
                                    f'samples {array.shape[1:]}; a cache needs one shape per '
                                    'recorder (a fixed input size)')
        return array

    def write_rows(self, name: str, indices: np.ndarray, values: np.ndarray) -> None:
        """Store the rows of samples ``indices`` of recorder ``name``.

        Raises:
            TeacherCacheError: Non-finite values, values beyond float16's range (fp16), or a
                shape that differs from earlier rows.
        """
        values = np.asarray(values, dtype=np.float32)
        if not np.isfinite(values).all():
            bad = sorted({int(i) for i, ok in zip(indices, np.isfinite(values).reshape(
                len(values), -1).all(1)) if not ok})
            raise TeacherCacheError(f'recorder {name!r}: the teacher output of samples {bad} '
                                    'is not finite')
        limit = float(np.finfo(np.float16).max)
        if self.dtype == 'fp16' and values.size and np.abs(values).max() > limit:
            raise TeacherCacheError(f'recorder {name!r}: values up to {np.abs(values).max():.4g}'
                                    f' exceed float16 (max {limit:.0f}); use --dtype fp32')
        self._array(name, values.shape[1:])[indices] = values
        self.written[indices] = True

    def write_parameter(self, name: str, value: np.ndarray) -> None:
        """Store a parameter recorder's tensor (the same for every sample)."""
        self._parameters[check_name(name)] = np.asarray(value, dtype=np.float32)

    def finish(self, manifest: dict) -> str:
        """Flush the arrays, write the manifest and rename the store into place.

        Args:
            manifest: The manifest fields (recorder shapes and counts are added here).

        Returns:
            The store directory.
        """
        recorders = manifest.setdefault('recorders', {})
        for name, array in self._arrays.items():
            array.flush()
            recorders[name].update(kind='feature', shape=list(array.shape[1:]),
                                   file=f'{name}.npy')
        for name, value in self._parameters.items():
            # A few weights: kept in float32 whatever the rows' dtype.
            np.save(osp.join(self.tmp_dir, f'{name}.npy'), value)
            recorders[name].update(kind='parameter', shape=list(value.shape), file=f'{name}.npy')
        missing = sorted(set(recorders) - set(self._arrays) - set(self._parameters))
        if missing:
            raise TeacherCacheError(f'recorders {missing} recorded nothing')
        np.save(osp.join(self.tmp_dir, WRITTEN_NAME), self.written)
        manifest.update(dtype=self.dtype, num_written=int(self.written.sum()))
        self._arrays.clear()
        # The manifest last: the directory is renamed into place only after it is on disk.
        with open(osp.join(self.tmp_dir, MANIFEST_NAME), 'w') as f:
            json.dump(manifest, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        old = None
        if osp.exists(self.store_dir):
            old = self.tmp_dir + '.old'
            os.replace(self.store_dir, old)
        os.replace(self.tmp_dir, self.store_dir)
        fsync_path(osp.dirname(osp.abspath(self.store_dir)))
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.store_dir


class TeacherCacheReader:
    """Read rows of a complete store; arrays are memory-mapped on first use (per process).

    Args:
        store_dir: The store (``<root>/<split>``).
    """

    def __init__(self, store_dir: str) -> None:
        self.store_dir = store_dir
        self.manifest = read_manifest(store_dir)
        self.length = int(self.manifest['dataset']['length'])
        self._arrays: dict[str, np.ndarray] = {}
        self._written: Optional[np.ndarray] = None

    def __getstate__(self) -> dict:
        # Memory maps are reopened where the reader is unpickled (e.g. a spawned process).
        return dict(self.__dict__, _arrays={}, _written=None)

    def recorder(self, name: str) -> dict:
        """The manifest entry of recorder ``name``."""
        recorders = self.manifest['recorders']
        if name not in recorders:
            raise TeacherCacheError(
                f'the teacher cache {self.store_dir} holds no tensor {name!r} (it holds '
                f'{sorted(recorders)}); rebuild it with --recorders including {name!r}')
        return recorders[name]

    def _open(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            path = osp.join(self.store_dir, self.recorder(name)['file'])
            self._arrays[name] = np.load(path, mmap_mode='r', allow_pickle=False)
        return self._arrays[name]

    def written(self) -> np.ndarray:
        if self._written is None:
            self._written = np.load(osp.join(self.store_dir, WRITTEN_NAME), allow_pickle=False)
        return self._written

    def rows(self, name: str, indices: np.ndarray) -> np.ndarray:
        """Rows of recorder ``name`` for dataset indices ``indices`` (a copy, float32).

        Raises:
            TeacherCacheError: An index outside the cached dataset, or a sample whose output
                was never computed (a bad sample skipped while the cache was built).
        """
        indices = np.asarray(indices, dtype=np.int64)
        outside = indices[(indices < 0) | (indices >= self.length)]
        if outside.size:
            raise TeacherCacheError(f'sample indices {sorted(set(outside.tolist()))} are outside '
                                    f'the teacher cache {self.store_dir} ({self.length} samples)')
        missing = indices[~self.written()[indices]]
        if missing.size:
            raise TeacherCacheError(f'samples {sorted(set(missing.tolist()))} have no cached '
                                    f'teacher output in {self.store_dir} (skipped as bad samples '
                                    'when it was built)')
        return np.asarray(self._open(name)[indices], dtype=np.float32)

    def parameter(self, name: str) -> np.ndarray:
        """A parameter recorder's tensor (float32)."""
        return np.asarray(self._open(name), dtype=np.float32)
