"""A teacher whose recorded tensors are read from a teacher cache instead of a forward pass.

With ``teacher_cache=dict(path=...)`` (or a ``fdkd_mm.CachedTeacher`` in ``teachers``) a
distiller builds no teacher network. This teacher has the recorders' names, paths and pools (so
mappings, width checks and messages resolve as for the live teacher), and each training step it
gathers the rows of the batch's samples (``metainfo['sample_idx']``) from the cache's
memory-mapped arrays. The cached rows are the recorders' tensors *after* pooling, exactly what
the losses receive.

Before any row is read, the cache must be shown to fit the run: the teacher (checkpoint sha256,
network config, input: every key of a fusion teacher) and the recorders when the teacher is
built with a checkpoint, the training set and the teacher's input transforms by :class:`~fdkd_mm.engine.hooks.
TeacherCacheHook` (which every config has through ``configs/_base_/default_runtime.py``).
"""
import os.path as osp
from collections.abc import Mapping, Sequence
from typing import Optional, Union

import numpy as np
import torch
from torch import Tensor

from fdkd_mm.models.recorders import describe_recorder
from fdkd_mm.models.teachers.base import BaseTeacher, check_recorder_configs
from fdkd_mm.registry import MODELS
from fdkd_mm.teacher_cache.checks import check_dataset, check_model, check_pipeline
from fdkd_mm.teacher_cache.manifest import TeacherCacheError
from fdkd_mm.teacher_cache.store import TeacherCacheReader

CACHE_KEYS = ('path', 'split')


class CachedRecorder:
    """What messages and checks read of one cached teacher tensor's recorder.

    Attributes:
        name: Recorder name.
        spec: The recorder config (with ``pool``).
        path: The module (or parameter) path it was recorded at.
        source: ``'output'``, ``'input'`` or ``'parameter'``.
        pool: How it was pooled before it was stored.
    """

    def __init__(self, name: str, spec: Mapping) -> None:
        self.name = name
        self.spec = dict(spec)
        self.path = spec.get('path')
        self.source = spec.get('source', 'output')
        self.pool = spec.get('pool')

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.name!r}, path={self.path!r})'


@MODELS.register_module()
class CachedTeacher(BaseTeacher):
    """The rows of a teacher cache, in place of a frozen teacher's forward.

    Args:
        cache: ``dict(path=<cache root>, split='train')``; the store read is ``<path>/<split>``.
        network: The teacher network config (not built; compared with the cache's).
        inputs: The teacher's modality key, or a fusion teacher's keys (the cache must have
            been written for the same keys; every key is held to the same checks).
        recorders: Name → recorder config (with ``pool``) of the teacher tensors the losses
            read.
        ckpt: The teacher checkpoint the cache must have been computed from. ``None`` (e.g.
            ``tools/test.py``, which evaluates the student alone) defers every check: the
            cache is then neither opened nor readable.
        trainable: Must be False: a trainable teacher's outputs change at every step.
        autocast: Must be None: the teacher does not run (store the cache in fp16 instead).
        name: The teacher's name in the distiller.

    Raises:
        ValueError: ``network`` is not a config, ``trainable`` or ``autocast`` is set.
        TeacherCacheError / FileNotFoundError: The cache is missing or does not fit the
            teacher or the recorders (each differing field named).
    """

    def __init__(self, cache: Mapping, network: Mapping, inputs: Union[str, Sequence[str]],
                 recorders: Mapping[str, Mapping], ckpt: Optional[str] = None,
                 trainable: bool = False, autocast: Optional[str] = None,
                 name: str = 'teacher') -> None:
        check_cacheable(network, trainable, autocast)
        if not isinstance(cache, Mapping) or not isinstance(cache.get('path'), str):
            raise TypeError("teacher_cache must be dict(path='<cache root>'[, split='train']), "
                            f'got {cache!r}')
        unknown = sorted(set(cache) - set(CACHE_KEYS))
        if unknown:
            raise ValueError(f'teacher_cache: unknown keys {unknown}; valid keys: '
                             f'{list(CACHE_KEYS)}')
        super().__init__(name, inputs)
        check_recorder_configs(recorders, self.config_key('recorders'))
        self.store_dir = osp.join(cache['path'], cache.get('split', 'train'))
        self.network_cfg = dict(network)
        self.ckpt = ckpt
        self.recorders = {name_: CachedRecorder(name_, spec) for name_, spec in recorders.items()}
        self._reader: Optional[TeacherCacheReader] = None
        self._rows: dict[str, Tensor] = {}
        self.data_checked = False
        if ckpt is not None:
            self._check_teacher()

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.store_dir}: {", ".join(self.recorders)})'

    @property
    def teacher_input(self) -> Union[str, list[str]]:
        """The teacher's modality, or a fusion teacher's list of them."""
        return self.input_keys[0] if len(self.input_keys) == 1 else list(self.input_keys)

    @property
    def recorder_names(self) -> tuple[str, ...]:
        return tuple(self.recorders)

    # ----------------------------------------------------------------------------- checks
    @property
    def reader(self) -> TeacherCacheReader:
        """The opened store (manifest read; arrays mapped on first use)."""
        if self._reader is None:
            self._reader = TeacherCacheReader(self.store_dir)
        return self._reader

    def _check_teacher(self) -> None:
        if not osp.isfile(self.ckpt):
            raise FileNotFoundError(f'teacher_ckpt {self.ckpt!r} does not exist; the teacher '
                                    'cache is checked against it')
        check_model(self.reader.manifest, self.store_dir, self.teacher_input, self.network_cfg,
                    self.ckpt, {n: r.spec for n, r in self.recorders.items()})

    def check_data(self, dataset, dataset_cfg: Mapping, where: str) -> None:
        """Check the run's training set and teacher input transforms against the cache.

        Called by :class:`~fdkd_mm.engine.hooks.TeacherCacheHook` before training. Every
        teacher input the pipeline still loads is checked (a fusion teacher's student modality
        always is); one it no longer loads (``tools/train.py`` leaves it out once it has
        checked it, see :func:`~fdkd_mm.teacher_cache.run_config.apply_teacher_cache`) has no
        transforms to compare.

        Args:
            dataset: The built training dataset.
            dataset_cfg: Its config (``pipeline`` included).
            where: The config key of the pipeline, for messages.
        """
        pipeline = list(dataset_cfg.get('pipeline') or [])
        loaded = self._loaded_inputs(pipeline) if pipeline else []
        if loaded:
            check_pipeline(self.reader.manifest, self.store_dir, pipeline,
                           loaded[0] if len(self.input_keys) == 1 else loaded, where)
        check_dataset(self.reader.manifest, self.store_dir, dataset, dataset_cfg)
        self.data_checked = True

    def _loaded_inputs(self, pipeline: list) -> list[str]:
        """The teacher's input keys that ``pipeline`` packs."""
        from fdkd_mm.models.distillers.validation import packed_input_keys
        packed = packed_input_keys(pipeline)
        return [key for key in self.input_keys if packed is not None and key in packed[0]]

    # ------------------------------------------------------------------ teacher protocol
    def width(self, name: str) -> Optional[int]:
        """Dim 1 of the batch tensor of ``name`` (its channels), from the manifest; None
        while the cache is not checked against a checkpoint (it is then not opened)."""
        if self.ckpt is None:
            return None
        entry = self.reader.recorder(name)
        if entry['kind'] == 'parameter' or not entry['shape']:
            return None
        return int(entry['shape'][0])

    def describe(self, name: str) -> str:
        recorder = self.recorders[name]
        return describe_recorder(self.label, name, recorder.path, recorder.pool)

    def forward_batch(self, inputs: dict, data_samples: Optional[list],
                      device: torch.device) -> dict[str, Tensor]:
        """Gather the rows of the batch's samples for every tensor, onto ``device``.

        Args:
            inputs: The batch's modalities (not read: the teacher does not run).
            data_samples: The batch's data samples, each with ``metainfo['sample_idx']``.
            device: Where the losses run (the student's device).

        Returns:
            ``{}``: a cached teacher has no task loss.

        Raises:
            RuntimeError: The cache was not checked against the teacher or the data yet.
            KeyError: A data sample without ``sample_idx``.
        """
        if self.ckpt is None:
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
        self._rows = {}
        for name in self.recorders:
            if self.reader.recorder(name)['kind'] == 'parameter':
                values = self.reader.parameter(name)
            else:
                values = self.reader.rows(name, indices)
            self._rows[name] = torch.from_numpy(values).to(device)
        return {}

    def recorded(self, name: str, batch_size: int) -> Tensor:
        """The batch's rows of tensor ``name`` (pooled when they were stored)."""
        if name not in self.recorders:
            raise KeyError(f'no cached teacher tensor named {name!r}; valid names: '
                           f'{sorted(self.recorders)}')
        if name not in self._rows:
            raise RuntimeError(f'cached teacher tensor {name!r} was not loaded for this batch')
        return self._rows[name]


def check_cacheable(network, trainable: bool, autocast: Optional[str]) -> None:
    """Refuse a teacher cache where the teacher's outputs are not fixed.

    Raises:
        ValueError: No teacher config, a trainable teacher (DML, C2KD), or autocast.
    """
    if not isinstance(network, Mapping):
        raise ValueError('teacher_cache needs the teacher as a config (compared with the '
                         f'cache\'s), got {type(network).__name__}')
    if trainable:
        raise ValueError('teacher_cache cannot serve a trainable teacher (teacher_trainable='
                         'True, e.g. DML or C2KD): its outputs change at every step. Train '
                         'with the live teacher.')
    if autocast is not None:
        raise ValueError(f'teacher_autocast={autocast!r} has no effect with '
                         'teacher_cache (the teacher does not run); remove it, and store the '
                         'cache in half precision with tools/cache_teacher.py --dtype fp16')


__all__ = ['CachedRecorder', 'CachedTeacher', 'TeacherCacheError', 'check_cacheable']
