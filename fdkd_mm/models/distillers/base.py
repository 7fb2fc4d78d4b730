"""The machinery every cross-modal distiller shares: two models, two inputs, two recorders."""
import os.path as osp
from typing import Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import load_checkpoint
from torch import Tensor, nn

from fdkd_mm.models.builder import build_scoped
from fdkd_mm.models.data_preprocessors import MultiModalDataPreprocessor
from fdkd_mm.models.recorders import FeatureRecorder

RecorderCfg = dict


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


class BaseCrossModalDistiller(BaseModel):
    """A student on one modality distilled from a frozen teacher on another.

    Owns the student and the teacher as submodules (so both are checkpointed), feeds each its own
    modality from a dict of inputs, records one feature of each with forward hooks, and leaves
    the distillation terms to subclasses (:meth:`distill_losses`). ``predict`` and ``tensor``
    modes run the student alone, so validation measures the student with its own metric.

    The teacher is frozen as a whole: ``requires_grad=False``, kept in ``eval()`` by
    :meth:`train` (BatchNorm *and* Dropout), run under ``no_grad`` in ``mode='tensor'`` (no
    teacher task loss), and loaded from ``teacher_ckpt`` here, protected from
    ``init_weights()``.

    Args:
        student: Config (any scope, e.g. ``type='mmseg.EncoderDecoder'``) or module.
        teacher: Config or module of the teacher.
        student_input: Key of the student's modality in the batch's inputs dict.
        teacher_input: Key of the teacher's modality.
        student_recorder: ``dict(path=..., source='output'|'input', call_index=0,
            data_index=0)`` naming the student feature to distil (see :class:`FeatureRecorder`).
        teacher_recorder: The same for the teacher.
        teacher_ckpt: Checkpoint of the trained unimodal teacher. ``None`` keeps the teacher as
            built (only sensible in tests).
        data_preprocessor: Config of the multi-modal preprocessor. ``None`` builds a
            :class:`MultiModalDataPreprocessor` from the student's and teacher's own
            preprocessors, with labels handled by the student's.
        init_cfg: Initialisation config of the distiller.
    """

    def __init__(self, student: Union[dict, nn.Module], teacher: Union[dict, nn.Module],
                 student_input: str, teacher_input: str, student_recorder: RecorderCfg,
                 teacher_recorder: RecorderCfg, teacher_ckpt: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.student = build_scoped(student)
        self.teacher = build_scoped(teacher)
        self.student_input = student_input
        self.teacher_input = teacher_input
        if teacher_ckpt is not None:
            self._load_teacher(teacher_ckpt)
        self._freeze_teacher()
        self.student_recorder = FeatureRecorder(self.student, **student_recorder)
        self.teacher_recorder = FeatureRecorder(self.teacher, **teacher_recorder)
        if data_preprocessor is None:
            self.data_preprocessor = MultiModalDataPreprocessor(
                {student_input: self.student.data_preprocessor,
                 teacher_input: self.teacher.data_preprocessor},
                label_modality=student_input)
        else:
            self.data_preprocessor = build_scoped(data_preprocessor)

    # ----------------------------------------------------------------------------- teacher
    def _load_teacher(self, path: str) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'teacher_ckpt {path!r} does not exist. Train the unimodal teacher first '
                '(configs/teachers/...) and point teacher_ckpt at its checkpoint.')
        load_checkpoint(self.teacher, path, map_location='cpu', strict=True,
                        logger='current', revise_keys=[(r'^module\.', '')])
        # Marked initialised, so the distiller's init_weights() never overwrites the weights.
        self.teacher._is_init = True
        print_log(f'loaded teacher weights from {path}', logger='current')

    def _freeze_teacher(self) -> None:
        self.teacher.requires_grad_(False)
        self.teacher.eval()

    def train(self, mode: bool = True) -> 'BaseCrossModalDistiller':
        """Set train/eval mode for everything but the frozen teacher, which stays in eval."""
        super().train(mode)
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

    def teacher_feature(self, inputs: dict) -> Tensor:
        """Run the frozen teacher on its modality and return its recorded feature."""
        teacher_inputs = self._modality(inputs, self.teacher_input, 'teacher')
        with torch.no_grad(), self.teacher_recorder:
            self.teacher(teacher_inputs, None, mode='tensor')
        return self.teacher_recorder.feature

    def student_loss_and_feature(self, inputs: dict,
                                 data_samples: list) -> tuple[dict, Tensor]:
        """Run the student's own loss on its modality and return it with the recorded feature."""
        student_inputs = self._modality(inputs, self.student_input, 'student')
        with self.student_recorder:
            losses = self.student(student_inputs, data_samples, mode='loss')
        return losses, self.student_recorder.feature

    def loss(self, inputs: dict, data_samples: list) -> dict[str, Tensor]:
        """Student task losses (prefixed ``student.``) plus the distillation terms."""
        teacher_feature = self.teacher_feature(inputs)
        student_losses, student_feature = self.student_loss_and_feature(inputs, data_samples)
        losses = {f'student.{name}': value for name, value in student_losses.items()}
        losses.update(self.distill_losses(student_feature, teacher_feature, data_samples))
        return losses

    def distill_losses(self, student_feature: Tensor, teacher_feature: Tensor,
                       data_samples: list) -> dict[str, Tensor]:
        """The method's distillation terms; keys must contain ``loss`` to be optimised."""
        raise NotImplementedError
