"""What a distiller asks of a teacher: its inputs, its recorded tensors, its train/eval rule."""
from collections.abc import Mapping, Sequence
from typing import Optional, Union

import torch
from torch import Tensor, nn

#: Name of the teacher the single-teacher keywords (``teacher=``, ``teacher_input=``, ...)
#: build; its network is the distiller's ``teacher`` submodule, as in every checkpoint so far.
SHORTHAND_NAME = 'teacher'

#: How the single-teacher keywords spell each teacher option (for messages).
SHORTHAND_KEYS = dict(network='teacher', inputs='teacher_input', recorders='teacher_recorders',
                      ckpt='teacher_ckpt', autocast='teacher_autocast',
                      allow_mismatch='allow_teacher_mismatch', cache='teacher_cache',
                      trainable='teacher_trainable', dataloader='teacher_stream')


def teacher_label(name: str) -> str:
    """How messages call the teacher ``name``: ``teacher`` or ``teacher 'audio'``."""
    return 'teacher' if name == SHORTHAND_NAME else f'teacher {name!r}'


def select_inputs(inputs: Union[dict, Tensor], keys: Sequence[str], label: str
                  ) -> Union[Tensor, dict[str, Tensor]]:
    """The modalities a network reads from a batch's dict of inputs.

    Args:
        inputs: Preprocessed modalities, ``{key: tensor}``.
        keys: The keys the network reads.
        label: Who reads them (``'student'``, ``"teacher 'audio'"``), for messages.

    Returns:
        The tensor of the one key, or a dict ``{key: tensor}`` of several keys (a fusion
        network's forward takes that dict as its inputs).

    Raises:
        TypeError: The inputs are not a dict of modalities.
        KeyError: A key is not in the batch (the keys present are listed).
    """
    if not isinstance(inputs, dict):
        raise TypeError(f'a distiller expects inputs as a dict of modalities, got '
                        f'{type(inputs).__name__}; use MultiModalDataPreprocessor')
    for key in keys:
        if key not in inputs:
            raise KeyError(f'the {label} input {key!r} is not in the batch; modalities present: '
                           f'{sorted(inputs)}')
    if len(keys) == 1:
        return inputs[keys[0]]
    return {key: inputs[key] for key in keys}


def input_keys(inputs: Union[str, Sequence[str]], where: str) -> tuple[str, ...]:
    """``inputs`` (one modality key or several) as a non-empty tuple of distinct strings."""
    keys = (inputs, ) if isinstance(inputs, str) else tuple(inputs or ())
    if not keys or not all(isinstance(key, str) for key in keys) or len(set(keys)) < len(keys):
        raise ValueError(f'{where} must be a modality key or a list of distinct keys, got '
                         f'{inputs!r}')
    return keys


def check_recorder_configs(recorders: Mapping, where: str) -> None:
    """Raise a ValueError unless ``recorders`` is a non-empty dict name → recorder config."""
    if not isinstance(recorders, Mapping) or not recorders:
        raise ValueError(f'{where} must be a non-empty dict name → dict(path=..., ...), got '
                         f'{recorders!r}')


class BaseTeacher:
    """One teacher of a :class:`~fdkd_mm.models.distillers.CrossModalDistiller`.

    The protocol the distiller uses, and nothing else: the modalities the teacher reads
    (:attr:`input_keys`), the names of the tensors it gives (:attr:`recorder_names`), one call
    per training batch that records them (:meth:`forward_batch`), the recorded tensors pooled
    as each recorder asks (:meth:`recorded`), what it declares of them before any data
    (:meth:`width`, :meth:`describe`), its train/eval rule (:meth:`train`) and the data
    preprocessors of its modalities (:meth:`preprocessors`).

    A teacher holds no weights of its own. A teacher that runs a network exposes it as
    :attr:`network`; the distiller registers that network as its submodule named after the
    teacher, so it is checkpointed (keys ``<name>.*``: ``teacher.*`` for the single-teacher
    shorthand), moved and switched to train/eval with the distiller; :meth:`train` then puts
    the network in the mode the teacher needs.

    Implementations: :class:`~fdkd_mm.models.teachers.FrozenTeacher`,
    :class:`~fdkd_mm.models.teachers.StreamedTeacher` (a frozen teacher on its own data),
    :class:`~fdkd_mm.models.teachers.TrainableTeacher` and ``fdkd_mm.CachedTeacher`` (rows
    of a teacher cache, in :mod:`fdkd_mm.teacher_cache.cached`). A teacher-free distiller has
    no teacher.

    Args:
        name: The teacher's name in the distiller (messages, log keys, its network's
            submodule name). The distiller sets it from its ``teachers`` mapping.
        inputs: The modality key the teacher reads, or several keys (a fusion teacher).
    """

    #: The network the distiller registers under the teacher's name; None: nothing to store.
    network: Optional[nn.Module] = None

    def __init__(self, name: str, inputs: Union[str, Sequence[str]]) -> None:
        self.name = name
        self.label = teacher_label(name)
        self.input_keys = input_keys(inputs, self.config_key('inputs'))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}({self.name!r}, inputs={list(self.input_keys)}, '
                f'recorders={list(self.recorder_names)})')

    def config_key(self, option: str) -> str:
        """How a config spells this teacher's ``option``, e.g. ``model.teacher_ckpt`` for the
        single-teacher shorthand, ``model.teachers.audio.ckpt`` otherwise."""
        if self.name == SHORTHAND_NAME:
            return f'model.{SHORTHAND_KEYS[option]}'
        return f'model.teachers.{self.name}.{option}'

    @property
    def recorder_names(self) -> tuple[str, ...]:
        """Names of the tensors :meth:`recorded` gives."""
        raise NotImplementedError

    def forward_batch(self, inputs: dict, data_samples: Optional[list],
                      device: torch.device) -> dict[str, Tensor]:
        """Record the teacher's tensors of one training batch.

        Args:
            inputs: The batch's preprocessed modalities, ``{key: tensor}``.
            data_samples: The batch's data samples (labels, metainfo).
            device: Where the losses run (the student's device).

        Returns:
            The teacher's own task losses, unprefixed (a trainable teacher's), else ``{}``.
        """
        raise NotImplementedError

    def recorded(self, name: str, batch_size: int) -> Tensor:
        """Tensor ``name`` of the last :meth:`forward_batch`, pooled as its recorder asks."""
        raise NotImplementedError

    def width(self, name: str) -> Optional[int]:
        """Dim 1 of :meth:`recorded` (its channels) if known without data, else None."""
        raise NotImplementedError

    def describe(self, name: str) -> str:
        """How tensor ``name`` is obtained, for messages (``"teacher recorder 'feat' (path
        'backbone.layer4', pool 'avg')"``)."""
        raise NotImplementedError

    def train(self, mode: bool = True) -> None:
        """Called after the distiller's own ``train(mode)``; puts the network in the mode the
        teacher needs. Defaults to nothing: the network follows the distiller."""

    def preprocessors(self) -> dict[str, nn.Module]:
        """Modality → data preprocessor of the teacher's inputs, for the distiller's
        :class:`~fdkd_mm.models.data_preprocessors.MultiModalDataPreprocessor`. Defaults to
        none (a teacher that does not run reads no input)."""
        return {}
