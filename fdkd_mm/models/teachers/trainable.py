"""The trainable teacher of mutual-learning methods (DML, C2KD): a second trained network."""
from typing import ContextManager, Optional

from torch import Tensor

from fdkd_mm.models.teachers.live import LiveTeacher
from fdkd_mm.registry import MODELS


@MODELS.register_module()
class TrainableTeacher(LiveTeacher):
    """A teacher trained alongside the student.

    It keeps its gradients and follows the distiller's train/eval mode; each training batch it
    runs in ``mode='loss'`` on its modality, so its task losses join the total (logged
    ``teacher.*``, ``teacher.<name>.*`` when the distiller has several teachers) and its
    recorded tensors carry gradients.

    Args:
        network: Config or module of the teacher's network.
        inputs: Its modality key, or several keys (fed the dict of them).
        recorders: Name → recorder config of the tensors the losses read.
        ckpt: Checkpoint to start from; ``None`` trains it from its initialisation.
        allow_mismatch: Load a ``ckpt`` recorded for another modality or network anyway.
        name: The teacher's name in the distiller.
    """

    def run(self, inputs: dict, data_samples: Optional[list] = None,
            recorders: Optional[ContextManager] = None) -> dict[str, Tensor]:
        """Run the network with gradients: ``mode='loss'`` given data samples (its task losses),
        else ``mode='tensor'`` (no loss)."""
        network_inputs = self.network_inputs(inputs)
        recording = recorders if recorders is not None else self.recorders
        with recording:
            if data_samples is None:
                self.network(network_inputs, None, mode='tensor')
                return {}
            return self.network(network_inputs, data_samples, mode='loss')
