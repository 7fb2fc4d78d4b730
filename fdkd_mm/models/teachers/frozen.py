"""The frozen teacher: a trained network run without gradients, always in eval mode."""
import contextlib
from collections.abc import Mapping, Sequence
from typing import ContextManager, Optional, Union

import torch
from torch import Tensor, nn

from fdkd_mm.config.typed_args import check_choice
from fdkd_mm.models.recorders import ParameterRecorder
from fdkd_mm.models.teachers.live import LiveTeacher
from fdkd_mm.registry import MODELS

#: Reduced precisions a frozen teacher's forward may run in (``autocast``).
AUTOCAST_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}


@MODELS.register_module()
class FrozenTeacher(LiveTeacher):
    """A trained teacher that is frozen as a whole.

    ``requires_grad=False``, kept in ``eval()`` (BatchNorm *and* Dropout) whatever mode the
    distiller is switched to, run under ``no_grad`` in ``mode='tensor'`` (no task loss).

    Args:
        network: Config or module of the teacher's network.
        inputs: Its modality key, or several keys (a fusion teacher, fed the dict of them).
        recorders: Name → recorder config of the tensors the losses read.
        ckpt: Checkpoint of the trained teacher, loaded strictly here.
        autocast: ``'bf16'`` or ``'fp16'`` to run the forward under ``torch.autocast`` in that
            precision (cheaper on GPUs with fast half-precision math); recorded tensors are
            cast back to float32, so the losses see float32 targets. ``None`` (default) runs
            it in the model's own precision.
        allow_mismatch: Load a ``ckpt`` recorded for another modality or network anyway.
        name: The teacher's name in the distiller.
    """

    def __init__(self, network: Union[dict, nn.Module], inputs: Union[str, Sequence[str]],
                 recorders: Mapping[str, dict], ckpt: Optional[str] = None,
                 autocast: Optional[str] = None, allow_mismatch: bool = False,
                 name: str = 'teacher') -> None:
        super().__init__(network, inputs, recorders, ckpt, allow_mismatch, name)
        self.network.requires_grad_(False)
        self.network.eval()
        self.autocast = check_choice(autocast, self.config_key('autocast'),
                                     [None, *sorted(AUTOCAST_DTYPES)])
        if self.autocast is not None:
            for name_ in self.recorders:
                if not isinstance(self.recorders[name_], ParameterRecorder):
                    self.recorders[name_].dtype = torch.float32

    def precision(self) -> ContextManager:
        """The context the forward runs in: autocast or nothing."""
        if self.autocast is None:
            return contextlib.nullcontext()
        device = next(self.network.parameters()).device
        return torch.autocast(device.type, dtype=AUTOCAST_DTYPES[self.autocast])

    def run(self, inputs: dict, data_samples: Optional[list] = None,
            recorders: Optional[ContextManager] = None) -> dict[str, Tensor]:
        """Run the network without gradients in ``mode='tensor'``; no task loss."""
        network_inputs = self.network_inputs(inputs)
        recording = recorders if recorders is not None else self.recorders
        with torch.no_grad(), self.precision(), recording:
            self.network(network_inputs, None, mode='tensor')
        return {}

    def train(self, mode: bool = True) -> None:
        """Keep the whole network in eval mode."""
        self.network.eval()
