"""The teacher's recorded tensors read from a teacher cache instead of a teacher forward.

With ``teacher_cache=dict(path=...)`` a distiller builds no teacher network. This object takes
the place of its teacher recorder group: it has the same names, paths and pools (so mappings,
width checks and messages resolve as before), and each training step it gathers the rows of
the batch's samples (``metainfo['sample_idx']``) from the cache's memory-mapped arrays. The
cached rows are the recorders' tensors *after* pooling, exactly what the losses receive.

Before any row is read, the cache must be shown to fit the run: the teacher (checkpoint sha256,
network config, input) and the recorders when the distiller is built with a ``teacher_ckpt``,
the training set and the teacher's input transforms by :class:`~fdkd_mm.engine.hooks.
TeacherCacheHook` (which every config has through ``configs/_base_/default_runtime.py``).
"""
import os.path as osp
from collections.abc import Iterator, Mapping
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from fdkd_mm.teacher_cache.checks import check_dataset, check_model, check_pipeline
from fdkd_mm.teacher_cache.manifest import TeacherCacheError
from fdkd_mm.teacher_cache.store import TeacherCacheReader

CACHE_KEYS = ('path', 'split')


class CachedRecorder:
    """One cached teacher tensor: what messages and width checks read of a recorder.

    Attributes:
        name: Recorder name.
        path: The module (or parameter) path it was recorded at.
        source: ``'output'``, ``'input'`` or ``'parameter'``.
        spec: The recorder config (with ``pool``).
    """

    def __init__(self, name: str, spec: Mapping) -> None:
        self.name = name
        self.spec = dict(spec)
        self.path = spec.get('path')
        self.source = spec.get('source', 'output')
        self._feature: Optional[Tensor] = None

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.name!r}, path={self.path!r})'

    @property
    def feature(self) -> Tensor:
        """The batch's rows (pooled as the recorder asks), loaded by :meth:`CachedTeacher.load`.
        """
        if self._feature is None:
            raise RuntimeError(f'cached teacher tensor {self.name!r} was not loaded for this '
                               'batch')
        return self._feature


class CachedTeacher:
    """The teacher recorder group of a distiller whose teacher outputs come from a cache.

    Args:
        cfg: ``dict(path=<cache root>, split='train')``; the store read is ``<path>/<split>``.
        teacher_input: The distiller's ``teacher_input``.
        teacher_cfg: The teacher network config (not built; compared with the cache's).
        teacher_ckpt: The teacher checkpoint the cache must have been computed from. ``None``
            (e.g. ``tools/test.py``, which evaluates the student alone) defers every check:
            the cache is then neither opened nor readable.
        recorders: Name → recorder config (with ``pool``) of the teacher tensors the losses
            read.

    Raises:
        TeacherCacheError / FileNotFoundError: The cache is missing or does not fit the
            teacher or the recorders (each differing field named).
    """

    def __init__(self, cfg: Mapping, teacher_input: str, teacher_cfg: Mapping,
                 teacher_ckpt: Optional[str], recorders: Mapping[str, Mapping]) -> None:
        if not isinstance(cfg, Mapping) or not isinstance(cfg.get('path'), str):
            raise TypeError("teacher_cache must be dict(path='<cache root>'[, split='train']), "
                            f'got {cfg!r}')
        unknown = sorted(set(cfg) - set(CACHE_KEYS))
        if unknown:
            raise ValueError(f'teacher_cache: unknown keys {unknown}; valid keys: '
                             f'{list(CACHE_KEYS)}')
        self.store_dir = osp.join(cfg['path'], cfg.get('split', 'train'))
        self.teacher_input = teacher_input
        self.teacher_cfg = dict(teacher_cfg)
        self.teacher_ckpt = teacher_ckpt
        self.recorders = {name: CachedRecorder(name, spec) for name, spec in recorders.items()}
        self._reader: Optional[TeacherCacheReader] = None
        self.data_checked = False
        if teacher_ckpt is not None:
            self._check_teacher()

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.store_dir}: {", ".join(self.recorders)})'

    # ------------------------------------------------------------ recorder-group interface
    def __len__(self) -> int:
        return len(self.recorders)

    def __iter__(self) -> Iterator[str]:
        return iter(self.recorders)

    def __contains__(self, name: object) -> bool:
        return name in self.recorders

    def __getitem__(self, name: str) -> CachedRecorder:
        if name not in self.recorders:
            raise KeyError(f'no cached teacher tensor named {name!r}; valid names: '
                           f'{sorted(self.recorders)}')
        return self.recorders[name]

    def __enter__(self) -> 'CachedTeacher':
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def feature(self, name: str) -> Tensor:
        """The batch's rows of tensor ``name`` (see :meth:`load`)."""
        return self[name].feature

    # ----------------------------------------------------------------------------- checks
    @property
    def reader(self) -> TeacherCacheReader:
        """The opened store (manifest read; arrays mapped on first use)."""
        if self._reader is None:
            self._reader = TeacherCacheReader(self.store_dir)
        return self._reader

    def _check_teacher(self) -> None:
        if not osp.isfile(self.teacher_ckpt):
            raise FileNotFoundError(f'teacher_ckpt {self.teacher_ckpt!r} does not exist; the '
                                    'teacher cache is checked against it')
        check_model(self.reader.manifest, self.store_dir, self.teacher_input, self.teacher_cfg,
                    self.teacher_ckpt, {n: r.spec for n, r in self.recorders.items()})

    def check_data(self, dataset, dataset_cfg: Mapping, where: str) -> None:
        """Check the run's training set and teacher input transforms against the cache.

        Called by :class:`~fdkd_mm.engine.hooks.TeacherCacheHook` before training. A pipeline
        that no longer loads the teacher's input (``tools/train.py`` leaves it out once it has
        checked it, see :func:`~fdkd_mm.teacher_cache.run_config.apply_teacher_cache`) has no
        transforms to compare.

        Args:
            dataset: The built training dataset.
            dataset_cfg: Its config (``pipeline`` included).
            where: The config key of the pipeline, for messages.
        """
        pipeline = list(dataset_cfg.get('pipeline') or [])
        if pipeline and self._loads_teacher_input(pipeline):
            check_pipeline(self.reader.manifest, self.store_dir, pipeline, self.teacher_input,
                           where)
        check_dataset(self.reader.manifest, self.store_dir, dataset, dataset_cfg)
        self.data_checked = True

    def _loads_teacher_input(self, pipeline: list) -> bool:
        from fdkd_mm.models.distillers.validation import packed_input_keys
        packed = packed_input_keys(pipeline)
        return packed is not None and self.teacher_input in packed[0]

    def width(self, name: str) -> Optional[int]:
        """Dim 1 of the batch tensor of ``name`` (its channels), from the manifest."""
        entry = self.reader.recorder(name)
        if entry['kind'] == 'parameter' or not entry['shape']:
            return None
        return int(entry['shape'][0])

    # ------------------------------------------------------------------------------- load
    def load(self, data_samples: list, device: torch.device) -> None:
        """Gather the rows of the batch's samples for every tensor, onto ``device``.

        Args:
            data_samples: The batch's data samples, each with ``metainfo['sample_idx']``.
            device: Where the losses run (the student's device).

        Raises:
            RuntimeError: The cache was not checked against the teacher or the data yet.
            KeyError: A data sample without ``sample_idx``.
        """
        if self.teacher_ckpt is None:
            raise RuntimeError('teacher_cache: the run names no teacher_ckpt, so the cache '
                               f'{self.store_dir} cannot be checked against the teacher it was '
                               'computed from; set model.teacher_ckpt')
        if not self.data_checked:
            raise RuntimeError(
                f'the teacher cache {self.store_dir} was not checked against the training set; '
                "add dict(type='fdkd_mm.TeacherCacheHook') to custom_hooks (the default runtime "
                'has it) or call check_data() first')
        if data_samples is None:
            raise ValueError('a cached teacher needs the data samples (their sample_idx)')
        indices = []
        for position, sample in enumerate(data_samples):
            if 'sample_idx' not in sample.metainfo:
                raise KeyError(f'data sample {position} of the batch carries no sample_idx; '
                               "add 'sample_idx' to the packing transform's meta_keys")
            indices.append(int(sample.metainfo['sample_idx']))
        indices = np.asarray(indices, dtype=np.int64)
        for name, recorder in self.recorders.items():
            if self.reader.recorder(name)['kind'] == 'parameter':
                values = self.reader.parameter(name)
            else:
                values = self.reader.rows(name, indices)
            recorder._feature = torch.from_numpy(values).to(device)


def check_cacheable(teacher, teacher_trainable: bool, teacher_autocast: Optional[str]) -> None:
    """Refuse a teacher cache where the teacher's outputs are not fixed.

    Raises:
        ValueError: No teacher config, a trainable teacher (DML, C2KD), or ``teacher_autocast``.
    """
    if not isinstance(teacher, Mapping):
        raise ValueError('teacher_cache needs the teacher as a config (compared with the '
                         f'cache\'s), got {type(teacher).__name__}')
    if teacher_trainable:
        raise ValueError('teacher_cache cannot serve a trainable teacher (teacher_trainable='
                         'True, e.g. DML or C2KD): its outputs change at every step. Train '
                         'with the live teacher.')
    if teacher_autocast is not None:
        raise ValueError(f'teacher_autocast={teacher_autocast!r} has no effect with '
                         'teacher_cache (the teacher does not run); remove it, and store the '
                         'cache in half precision with tools/cache_teacher.py --dtype fp16')


__all__ = ['CachedRecorder', 'CachedTeacher', 'TeacherCacheError', 'check_cacheable']
