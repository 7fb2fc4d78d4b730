"""Two-model plumbing of the cross-modal distiller: two networks, two inputs, two recorders."""
import contextlib
import os.path as osp
from collections.abc import Mapping
from typing import ContextManager, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import Tensor, nn

from fdkd_mm.models.builder import build_scoped
from fdkd_mm.models.data_preprocessors import MultiModalDataPreprocessor
from fdkd_mm.models.distillers.cached_teacher import (CachedRecorder, CachedTeacher,
                                                      check_cacheable)
from fdkd_mm.models.pooling import POOL_MODES, pool_recorded
from fdkd_mm.models.recorders import ParameterRecorder, RecorderGroup
from fdkd_mm.checkpoint.strict_loading import load_teacher_weights
from fdkd_mm.config.typed_args import check_bool, check_choice

RecorderCfg = dict

# Reduced precisions a frozen teacher's forward may run in (``teacher_autocast``).
TEACHER_AUTOCAST_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}


def gather_labels(data_samples: list) -> Tensor:
    """Stack the labels of a batch: (N,) class indices or (N, H, W) label maps.

    Args:
        data_samples: mmpretrain ``DataSample`` (``gt_label``) or mmseg ``SegDataSample``
            (``gt_sem_seg``) objects.

    Returns:
        Long tensor of labels.
    """
    first = data_samples[0]
    if 'gt_sem_seg' in first:
        return torch.stack([s.gt_sem_seg.data[0] for s in data_samples]).long()
    if 'gt_label' in first:
        return torch.cat([s.gt_label.reshape(-1)[:1] for s in data_samples]).long()
    raise KeyError(f'data samples of type {type(first).__name__} carry neither gt_label nor '
                   f'gt_sem_seg; fields present: {sorted(first.keys())}')


def prefix_losses(prefix: str, losses: dict) -> dict:
    """Return ``losses`` with every key prefixed by ``'<prefix>.'``."""
    return {f'{prefix}.{name}': value for name, value in losses.items()}


class BaseCrossModalDistiller(BaseModel):
    """A student on one modality distilled from a teacher on another.

    Owns the student and the teacher as submodules (so both are checkpointed), feeds each its own
    modality from a dict of inputs and records named tensors of each with forward hooks (pooled
    as each recorder's ``pool`` asks, see :func:`~fdkd_mm.models.pooling.pool_recorded`).
    What is computed from them is :class:`~fdkd_mm.models.distillers.CrossModalDistiller`'s
    business. ``predict`` and ``tensor`` modes run the student alone, so validation measures
    the student with its own metric.

    By default the teacher is frozen as a whole: ``requires_grad=False``, kept in ``eval()`` by
    :meth:`train` (BatchNorm *and* Dropout), run under ``no_grad`` in ``mode='tensor'`` (no
    teacher task loss), and loaded from ``teacher_ckpt`` here, protected from
    ``init_weights()``. With ``teacher_trainable=True`` (mutual-learning methods such as DML
    and C2KD) the teacher is a second trainable network instead: it keeps its gradients and
    follows the distiller's train/eval mode, and :meth:`loss` runs it in ``mode='loss'`` on its
    own modality, so its task loss joins the total as ``teacher.*`` and its recorded tensors
    carry gradients.

    Args:
        student: Config (any scope, e.g. ``type='mmseg.EncoderDecoder'``) or module.
        teacher: Config or module of the teacher. ``None`` for a teacher-free distiller, whose
            losses carry the teacher's knowledge themselves (e.g. statistics of a teacher
            bank); ``teacher_input``, ``teacher_recorders`` and ``teacher_ckpt`` are then None.
        student_input: Key of the student's modality in the batch's inputs dict.
        teacher_input: Key of the teacher's modality.
        student_recorders: Name → recorder config of every student tensor to record:
            :class:`~fdkd_mm.models.recorders.FeatureRecorder` arguments (``path``, ``source``
            ``'output'`` / ``'input'`` / ``'parameter'``, ``call_index``, ...) plus an optional
            ``pool`` (``None``, ``'avg'``, ``'frames'``).
        teacher_recorders: The same for the teacher.
        teacher_ckpt: Checkpoint of the trained unimodal teacher. ``None`` keeps the teacher as
            built (only sensible in tests, or for a trainable teacher trained from scratch).
        data_preprocessor: Config of the multi-modal preprocessor. ``None`` builds a
            :class:`MultiModalDataPreprocessor` from the student's and teacher's own
            preprocessors, with labels handled by the student's.
        init_cfg: Initialisation config of the distiller.
        teacher_trainable: Train the teacher alongside the student (see above). Defaults to
            False: a frozen teacher.
        teacher_autocast: ``'bf16'`` or ``'fp16'`` to run the frozen teacher's forward under
            ``torch.autocast`` in that precision (cheaper on GPUs with fast half-precision
            math); its recorded tensors are cast back to float32, so the distillation losses
            see float32 targets. ``None`` (default) runs it in the model's own precision.
        allow_teacher_mismatch: Load a ``teacher_ckpt`` whose record says it was trained on
            another modality or network than the teacher's, with a warning, instead of
            refusing it. Defaults to False.
        teacher_cache: ``dict(path=<cache root>)`` to read the frozen teacher's recorded
            tensors from a cache written by ``tools/cache_teacher.py`` instead of running the
            teacher (see :class:`~fdkd_mm.models.distillers.cached_teacher.CachedTeacher` and
            docs/teacher_cache.md). The teacher network is then not built; ``teacher`` and
            ``teacher_ckpt`` identify the teacher the cache must come from. ``None`` (default)
            runs the teacher.
    """

    def __init__(self, student: Union[dict, nn.Module],
                 teacher: Optional[Union[dict, nn.Module]],
                 student_input: str, teacher_input: Optional[str],
                 student_recorders: dict[str, RecorderCfg],
                 teacher_recorders: Optional[dict[str, RecorderCfg]],
                 teacher_ckpt: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 teacher_trainable: bool = False,
                 teacher_autocast: Optional[str] = None,
                 allow_teacher_mismatch: bool = False,
                 teacher_cache: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.student = build_scoped(student)
        cached = teacher_cache is not None
        if cached:
            check_cacheable(teacher, teacher_trainable, teacher_autocast)
        self.teacher = build_scoped(teacher) if teacher is not None and not cached else None
        self.student_input = student_input
        self.teacher_input = teacher_input
        self.teacher_trainable = check_bool(teacher_trainable, 'model.teacher_trainable')
        if self.teacher is None and not cached:
            self._check_teacher_free(teacher_input, teacher_recorders, teacher_ckpt)
            teacher_recorders = {}
        if teacher_ckpt is not None and not cached:
            self._load_teacher(teacher_ckpt, teacher if isinstance(teacher, Mapping) else None,
                               check_bool(allow_teacher_mismatch,
                                          'model.allow_teacher_mismatch'))
        if self.teacher is not None and not teacher_trainable:
            self._freeze_teacher()
        self.pools = {'student': self._split_pools(student_recorders, 'student'),
                      'teacher': self._split_pools(teacher_recorders, 'teacher',
                                                   allow_empty=self.teacher is None
                                                   and not cached)}
        self.student_recorders = RecorderGroup(
            self.student, {n: self._without_pool(c) for n, c in student_recorders.items()},
            role='student')
        #: The teacher cache the teacher's tensors are read from (None: the teacher runs).
        self.teacher_cache: Optional[CachedTeacher] = None
        if cached:
            self.teacher_cache = CachedTeacher(teacher_cache, teacher_input, teacher,
                                               teacher_ckpt, teacher_recorders)
            self.teacher_recorders = self.teacher_cache
        else:
            self.teacher_recorders = RecorderGroup(
                self.teacher, {n: self._without_pool(c) for n, c in teacher_recorders.items()},
                role='teacher')
        self.teacher_autocast = self._check_teacher_autocast(teacher_autocast)
        if teacher_autocast is not None:
            for name in self.teacher_recorders:
                if not isinstance(self.teacher_recorders[name], ParameterRecorder):
                    self.teacher_recorders[name].dtype = torch.float32
        if data_preprocessor is None:
            preprocessors = {student_input: self.student.data_preprocessor}
            if self.teacher is not None:
                preprocessors[teacher_input] = self.teacher.data_preprocessor
            self.data_preprocessor = MultiModalDataPreprocessor(
                preprocessors,
                label_modality=student_input)
        else:
            self.data_preprocessor = build_scoped(data_preprocessor)

    def _check_teacher_free(self, teacher_input: Optional[str], teacher_recorders: Optional[dict],
                            teacher_ckpt: Optional[str]) -> None:
        """Without a teacher network (its knowledge comes from elsewhere, e.g. a teacher bank
        in a loss), nothing may ask for one."""
        given = dict(teacher_input=teacher_input, teacher_recorders=teacher_recorders or None,
                     teacher_ckpt=teacher_ckpt,
                     teacher_trainable=self.teacher_trainable or None)
        stray = sorted(k for k, v in given.items() if v is not None)
        if stray:
            raise ValueError(f'teacher=None (no teacher network) but {stray} are set; remove '
                             'them, or give the teacher')

    @staticmethod
    def _split_pools(recorders: Optional[dict[str, RecorderCfg]], role: str,
                     allow_empty: bool = False) -> dict[str, Optional[str]]:
        if allow_empty and not recorders:
            return {}
        if not isinstance(recorders, Mapping) or not recorders:
            raise ValueError(f'{role}_recorders must be a non-empty dict name → '
                             f'dict(path=..., ...), got {recorders!r}')
        pools = {}
        for name, cfg in recorders.items():
            pool = cfg.get('pool') if isinstance(cfg, Mapping) else None
            if pool not in POOL_MODES:
                raise ValueError(f'{role} recorder {name!r}: pool must be one of {POOL_MODES}, '
                                 f'got {pool!r}')
            pools[name] = pool
        return pools

    @staticmethod
    def _without_pool(cfg: RecorderCfg) -> RecorderCfg:
        return {k: v for k, v in cfg.items() if k != 'pool'} if isinstance(cfg, Mapping) else cfg

    def recorded(self, role: str, name: str, batch_size: int) -> Tensor:
        """The tensor recorder ``name`` of the student or teacher took in the last forward,
        pooled as its ``pool`` asks.

        Args:
            role: ``'student'`` or ``'teacher'``.
            name: Recorder name.
            batch_size: Number of samples of the batch.

        Returns:
            The (pooled) tensor; a parameter recorder's tensor as it is.
        """
        group = self.student_recorders if role == 'student' else self.teacher_recorders
        if isinstance(group[name], (ParameterRecorder, CachedRecorder)):
            return group.feature(name)  # a parameter as it is; cached rows are pooled already
        return pool_recorded(group.feature(name), batch_size, self.pools[role][name])

    # ----------------------------------------------------------------------------- teacher
    def _check_teacher_autocast(self, teacher_autocast: Optional[str]) -> Optional[str]:
        check_choice(teacher_autocast, 'model.teacher_autocast',
                     [None, *sorted(TEACHER_AUTOCAST_DTYPES)])
        if teacher_autocast is None:
            return None
        if self.teacher_trainable:
            raise ValueError('teacher_autocast applies to a frozen teacher; a trainable teacher '
                             'trains in the precision of the optimizer wrapper (AmpOptimWrapper)')
        return teacher_autocast

    def teacher_precision(self) -> ContextManager:
        """The context the frozen teacher's forward runs in: autocast or nothing."""
        if self.teacher_autocast is None or self.teacher is None:
            return contextlib.nullcontext()
        device = next(self.teacher.parameters()).device
        return torch.autocast(device.type, dtype=TEACHER_AUTOCAST_DTYPES[self.teacher_autocast])

    def _load_teacher(self, path: str, teacher_cfg: Optional[dict],
                      allow_mismatch: bool) -> None:
        """Load the trained unimodal teacher: refused when the checkpoint's record says it was
        trained on another modality or network, or when its keys do not fit (each named)."""
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'teacher_ckpt {path!r} does not exist. Train the unimodal teacher first '
                '(configs/uni/...) and point teacher_ckpt at its checkpoint.')
        load_teacher_weights(self.teacher, path, self.teacher_input, teacher_cfg,
                             allow_mismatch=allow_mismatch,
                             override_hint='model.allow_teacher_mismatch=True')
        # Marked initialised, so the distiller's init_weights() never overwrites the weights.
        self.teacher._is_init = True
        print_log(f'loaded teacher weights from {path}', logger='current')

    def _freeze_teacher(self) -> None:
        self.teacher.requires_grad_(False)
        self.teacher.eval()

    def train(self, mode: bool = True) -> 'BaseCrossModalDistiller':
        """Set train/eval mode; a frozen teacher stays in eval, a trainable one follows."""
        super().train(mode)
        if self.teacher is not None and not self.teacher_trainable:
            self.teacher.eval()
        return self

    # ------------------------------------------------------------------------------ forward
    def _modality(self, inputs: Union[dict, Tensor], key: str, role: str) -> Tensor:
        if not isinstance(inputs, dict):
            raise TypeError(f'{type(self).__name__} expects inputs as a dict of modalities, got '
                            f'{type(inputs).__name__}; use MultiModalDataPreprocessor')
        if key not in inputs:
            raise KeyError(f'the {role} input {key!r} ({role}_input) is not in the batch; '
                           f'modalities present: {sorted(inputs)}')
        return inputs[key]

    def forward(self, inputs: Union[dict, Tensor], data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """Dispatch as MMEngine expects: ``loss`` distils, ``predict``/``tensor`` run the student.

        Args:
            inputs: Preprocessed modalities, ``{name: tensor}``.
            data_samples: Data samples with labels / metainfo.
            mode: ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            A loss dict, the student's predictions, or the student's raw outputs.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('predict', 'tensor'):
            student_inputs = self._modality(inputs, self.student_input, 'student')
            return self.student(student_inputs, data_samples, mode=mode)
        raise ValueError(f"invalid mode {mode!r}; expected 'loss', 'predict' or 'tensor'")

    def run_teacher(self, inputs: dict, data_samples: Optional[list] = None,
                    recorder: Optional[ContextManager] = None) -> dict[str, Tensor]:
        """Run the teacher on its modality inside ``recorder`` (a recorder or recorder group).

        A frozen teacher runs under ``no_grad`` in ``mode='tensor'`` and returns no losses. A
        trainable teacher runs with gradients; given data samples it runs in ``mode='loss'``
        and returns its own task losses.

        Args:
            inputs: Preprocessed modalities.
            data_samples: Data samples with labels; only a trainable teacher uses them.
            recorder: Context manager recording the teacher's tensors; None records nothing.

        Returns:
            The teacher's task losses (unprefixed), ``{}`` for a frozen teacher (or none).
        """
        if self.teacher_cache is not None:  # the batch's rows instead of a forward
            self.teacher_cache.load(data_samples, next(self.student.parameters()).device)
            return {}
        if self.teacher is None:
            return {}
        teacher_inputs = self._modality(inputs, self.teacher_input, 'teacher')
        recorder = recorder if recorder is not None else contextlib.nullcontext()
        if not self.teacher_trainable:
            with torch.no_grad(), self.teacher_precision(), recorder:
                self.teacher(teacher_inputs, None, mode='tensor')
            return {}
        with recorder:
            if data_samples is None:
                self.teacher(teacher_inputs, None, mode='tensor')
                return {}
            return self.teacher(teacher_inputs, data_samples, mode='loss')

    def run_student(self, inputs: dict, data_samples: list,
                    recorder: Optional[ContextManager] = None) -> dict[str, Tensor]:
        """Run the student's own loss on its modality inside ``recorder``.

        Args:
            inputs: Preprocessed modalities.
            data_samples: Data samples with labels.
            recorder: Context manager recording the student's tensors; None records nothing.

        Returns:
            The student's task losses (unprefixed).
        """
        student_inputs = self._modality(inputs, self.student_input, 'student')
        with recorder if recorder is not None else contextlib.nullcontext():
            return self.student(student_inputs, data_samples, mode='loss')

    def loss(self, inputs: dict, data_samples: list) -> dict[str, Tensor]:
        """The training losses; the method's terms are the subclass's."""
        raise NotImplementedError
