"""The streamed teacher: a frozen network that reads its own data, not the student's batch.

Without paired data the teacher never sees the student's samples. Each training step this
teacher draws the next batch of its own stream (a :class:`~fdkd_mm.datasets.teacher_stream.
TeacherStream` over the teacher-modality dataset, e.g. part A of a ``DisjointPartDataset``),
runs its network's own data preprocessor (test mode: no batch augmentation for a frozen
teacher) and the frozen network on it (eval, ``no_grad``) and offers the recorded tensors,
pooled over *its* batch: the pooled features that the published unpaired method's feature
alignment compares with the student's batch, and parameter recorders such as the classifier
weights its label alignment reads. Nothing pairs a teacher row with a
student row; the two batches may differ in size.

The stream is built and attached by :class:`~fdkd_mm.engine.hooks.TeacherStreamHook` before
training (from this teacher's ``dataloader`` or the config's top-level ``teacher_dataloader``),
which also saves its position in checkpoints and restores it on resume.
"""
from collections.abc import Mapping, Sequence
from typing import Optional, Union

import torch
from torch import Tensor, nn

from fdkd_mm.errors import ConfigError, DataError
from fdkd_mm.models.recorders import ParameterRecorder
from fdkd_mm.models.teachers.base import select_inputs
from fdkd_mm.models.teachers.frozen import FrozenTeacher
from fdkd_mm.registry import MODELS

#: Fewest samples of a teacher batch: the optimal transport of one point sends every student
#: feature to it, which aligns nothing.
MIN_BATCH = 2


@MODELS.register_module()
class StreamedTeacher(FrozenTeacher):
    """A frozen teacher fed by its own dataloader, one batch per training step.

    Args:
        network: Config or module of the teacher's network.
        inputs: Its modality key (or several keys, fed as a dict to a network whose data
            preprocessor takes them).
        recorders: Name → recorder config of the tensors the losses read.
        ckpt: Checkpoint of the trained teacher, loaded strictly here.
        autocast: ``'bf16'`` / ``'fp16'`` forward, as :class:`FrozenTeacher`.
        allow_mismatch: Load a ``ckpt`` recorded for another modality or network anyway.
        dataloader: The teacher's dataloader config (MMEngine's: ``dataset``, ``sampler``,
            ``batch_size``, ...). ``None``: the config's top-level ``teacher_dataloader``,
            handed over by :class:`~fdkd_mm.engine.hooks.TeacherStreamHook`.
        name: The teacher's name in the distiller.

    Raises:
        ConfigError: ``dataloader`` is neither None nor a dict.
    """

    def __init__(self, network: Union[dict, nn.Module], inputs: Union[str, Sequence[str]],
                 recorders: Mapping[str, dict], ckpt: Optional[str] = None,
                 autocast: Optional[str] = None, allow_mismatch: bool = False,
                 dataloader: Optional[Mapping] = None, name: str = 'teacher') -> None:
        super().__init__(network, inputs, recorders, ckpt, autocast, allow_mismatch, name)
        if dataloader is not None and not isinstance(dataloader, Mapping):
            raise ConfigError(f'{self.config_key("dataloader")} must be a dataloader config '
                              f'(dict) or None, got {type(dataloader).__name__}')
        self.dataloader_cfg = dict(dataloader) if dataloader is not None else None
        self.stream = None  # a TeacherStream, attached before training
        self._served = None  # the student's data samples of the step last served
        self._tensors: dict[str, Tensor] = {}
        #: ``sample_idx`` of the teacher samples of the last drawn batch (logs, messages).
        self.last_indices: list = []

    def attach(self, stream) -> None:
        """Read batches from ``stream`` (a :class:`~fdkd_mm.datasets.teacher_stream.
        TeacherStream`) from now on."""
        self.stream = stream
        self._served = None

    def preprocessors(self) -> dict[str, nn.Module]:
        """None for the distiller: the student's batch holds no teacher modality; the
        teacher's own batch goes through its network's data preprocessor here."""
        return {}

    def forward_batch(self, inputs: dict, data_samples: Optional[list],
                      device=None) -> dict[str, Tensor]:
        """Draw the teacher's next batch and record its tensors; the student's batch is not
        read. The forwards of one training step (the ``bilevel`` step makes three with the same
        data samples) share one teacher batch.

        Args:
            inputs: The student's batch (not read).
            data_samples: The student's data samples; the same list again means the same step.
            device: Where the losses run (the network's device is used).

        Returns:
            ``{}``: a frozen teacher has no task loss.

        Raises:
            RuntimeError: No stream is attached.
            DataError: A teacher batch of fewer than :data:`MIN_BATCH` samples, or recorded
                features with NaN / Inf (the recorder, its shape and the samples named).
        """
        if self.stream is None:
            raise RuntimeError(
                f'{self.label} (StreamedTeacher) has no data stream: add '
                "dict(type='fdkd_mm.TeacherStreamHook') to custom_hooks, which builds it "
                'from teacher_dataloader before training')
        if data_samples is not None and data_samples is self._served:
            return {}
        self._record(self.stream.next())
        self._served = data_samples
        return {}

    def _record(self, batch: Mapping) -> None:
        inputs, samples = batch['inputs'], list(batch['data_samples'])
        size = len(samples)
        if size < MIN_BATCH:
            raise DataError(
                f'{self.label}: a teacher batch of {size} sample(s) from {self.stream.where} '
                f'(batch_size {self.stream.batch_size}); the feature alignment needs at least '
                f'{MIN_BATCH}. Set {self.stream.where}.drop_last=True or a batch size that '
                'leaves no single-sample last batch')
        if isinstance(inputs, Mapping):  # packed as a dict of modalities
            inputs = select_inputs(dict(inputs), self.input_keys, self.label)
        self.last_indices = [sample.metainfo.get('sample_idx') for sample in samples]
        with torch.no_grad():
            data = self.network.data_preprocessor(dict(inputs=inputs, data_samples=samples),
                                                  False)
        network_inputs = data['inputs']
        if not isinstance(network_inputs, dict):
            network_inputs = {self.input_keys[0]: network_inputs}
        self.run(network_inputs)
        self._tensors = {name: self.recorders.recorded(name, size) for name in self.recorders}
        self._check_finite()

    def _check_finite(self) -> None:
        for name, tensor in self._tensors.items():
            if isinstance(self.recorders[name], ParameterRecorder):
                continue
            finite = torch.isfinite(tensor.reshape(len(tensor), -1)).all(dim=1)
            if not bool(finite.all()):
                rows = torch.nonzero(~finite).flatten().tolist()
                raise DataError(
                    f'{self.describe(name)} of shape {tuple(tensor.shape)} holds NaN or Inf '
                    f'in rows {rows} of the teacher batch (sample_idx '
                    f'{[self.last_indices[row] for row in rows]} of {self.stream.where})')

    def recorded(self, name: str, batch_size: int) -> Tensor:
        """Tensor ``name`` of the teacher's last batch, pooled over that batch (its size is
        the teacher's, not ``batch_size``, the student's)."""
        if name not in self._tensors:
            raise RuntimeError(f'{self.label} has recorded no {name!r} yet (recorded: '
                               f'{sorted(self._tensors)}); forward_batch runs first')
        return self._tensors[name]
