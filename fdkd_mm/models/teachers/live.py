"""A teacher whose tensors come from running its network on the batch (frozen or trained)."""
import os.path as osp
from collections.abc import Mapping, Sequence
from typing import ContextManager, Optional, Union

from mmengine.logging import print_log
from torch import Tensor, nn

from fdkd_mm.checkpoint.strict_loading import load_teacher_weights
from fdkd_mm.config.typed_args import check_bool
from fdkd_mm.models.recorders import RecorderGroup
from fdkd_mm.models.teachers.base import BaseTeacher, check_recorder_configs, select_inputs
from fdkd_mm.registry import MODELS


class LiveTeacher(BaseTeacher):
    """The shared part of :class:`FrozenTeacher` and :class:`TrainableTeacher`.

    Builds the network (``MODELS.build``: any scope, zoo references), loads its checkpoint
    strictly (marked initialised, so the distiller's ``init_weights()`` keeps the weights) and
    records its tensors with a :class:`~fdkd_mm.models.recorders.RecorderGroup`.

    Args:
        network: Config (any scope, or a zoo reference) or module of the teacher's network.
        inputs: Modality key, or several keys: the network's forward then gets the dict
            ``{key: tensor}`` of them as its inputs (a fusion teacher).
        recorders: Name → recorder config (:class:`~fdkd_mm.models.recorders.FeatureRecorder`
            arguments with its ``pool``, or ``source='parameter'``).
        ckpt: Checkpoint of the trained teacher; refused when its record says it was trained
            on another modality or network, or when its keys do not fit. ``None`` keeps the
            network as built (tests, or a trainable teacher trained from scratch).
        allow_mismatch: Load a ``ckpt`` recorded for another modality or network anyway,
            with a warning. Defaults to False.
        name: The teacher's name in the distiller.
    """

    def __init__(self, network: Union[dict, nn.Module], inputs: Union[str, Sequence[str]],
                 recorders: Mapping[str, dict], ckpt: Optional[str] = None,
                 allow_mismatch: bool = False, name: str = 'teacher') -> None:
        super().__init__(name, inputs)
        self.network = MODELS.build(network)
        if ckpt is not None:
            self._load(ckpt, network if isinstance(network, Mapping) else None,
                       check_bool(allow_mismatch, self.config_key('allow_mismatch')))
        check_recorder_configs(recorders, self.config_key('recorders'))
        self.recorders = RecorderGroup(self.network, recorders, role=self.label)

    def _load(self, path: str, network_cfg: Optional[Mapping], allow_mismatch: bool) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{self.config_key("ckpt")} {path!r} does not exist. Train the unimodal teacher '
                'first (configs/uni/...) and point it at its checkpoint.')
        # A fusion teacher's run records its modalities as 'audio+visual' (in any order).
        modality = '+'.join(self.input_keys)
        load_teacher_weights(self.network, path, modality, network_cfg,
                             allow_mismatch=allow_mismatch,
                             override_hint=f'{self.config_key("allow_mismatch")}=True')
        # Marked initialised, so the distiller's init_weights() never overwrites the weights.
        self.network._is_init = True
        print_log(f'loaded {self.label} weights from {path}', logger='current')

    @property
    def recorder_names(self) -> tuple[str, ...]:
        return tuple(self.recorders)

    def network_inputs(self, inputs: dict) -> Union[Tensor, dict[str, Tensor]]:
        """The network's input: its modality's tensor, or the dict of its modalities."""
        return select_inputs(inputs, self.input_keys, self.label)

    def run(self, inputs: dict, data_samples: Optional[list] = None,
            recorders: Optional[ContextManager] = None) -> dict[str, Tensor]:
        """Run the network on its modalities of ``inputs`` inside ``recorders``.

        Args:
            inputs: Preprocessed modalities.
            data_samples: Data samples with labels; only a trainable teacher uses them.
            recorders: A recorder (group) of this network; ``None`` records into the
                teacher's own recorders.

        Returns:
            The teacher's task losses (unprefixed); ``{}`` when it computes none.
        """
        raise NotImplementedError

    def forward_batch(self, inputs: dict, data_samples: Optional[list],
                      device=None) -> dict[str, Tensor]:
        return self.run(inputs, data_samples)

    def recorded(self, name: str, batch_size: int) -> Tensor:
        return self.recorders.recorded(name, batch_size)

    def width(self, name: str) -> Optional[int]:
        return self.recorders[name].declared_width()

    def describe(self, name: str) -> str:
        return self.recorders.describe(name)

    def preprocessors(self) -> dict[str, nn.Module]:
        """The network's own preprocessor for its one modality; a fusion network's
        :class:`~fdkd_mm.models.data_preprocessors.MultiModalDataPreprocessor` per modality."""
        preprocessor = self.network.data_preprocessor
        if len(self.input_keys) == 1:
            return {self.input_keys[0]: preprocessor}
        per_modality = getattr(preprocessor, 'preprocessors', None)  # a ModuleDict
        if not isinstance(per_modality, (Mapping, nn.ModuleDict)):
            per_modality = {}
        missing = [key for key in self.input_keys if key not in per_modality]
        if missing:
            raise ValueError(
                f'{self.label} reads {list(self.input_keys)}, but its network\'s data '
                f'preprocessor ({type(preprocessor).__name__}) has none for {missing}; give the '
                'network a MultiModalDataPreprocessor of its modalities, or the distiller a '
                'data_preprocessor')
        return {key: per_modality[key] for key in self.input_keys}
