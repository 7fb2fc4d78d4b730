"""The cross-modal distiller: a student, named teachers, recorders → connectors → losses."""
import logging
from collections.abc import Mapping
from typing import Optional, Union

from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmseg.utils import add_prefix
from torch import Tensor, nn

from fdkd_mm.models.data_preprocessors import MultiModalDataPreprocessor
from fdkd_mm.models.distillers.labels import gather_labels, gather_metainfo
from fdkd_mm.models.distillers.log_keys import with_teacher
from fdkd_mm.models.distillers.mappings import (STUDENT, StepInputs, default_teacher,
                                                parse_mappings, used_names)
from fdkd_mm.models.distillers.widths import check_loss_widths
from fdkd_mm.models.recorders import RecorderGroup
from fdkd_mm.models.teachers import (SHORTHAND_NAME, BaseTeacher, select_inputs,
                                     shorthand_teachers)
from fdkd_mm.models.teachers.base import check_recorder_configs
from fdkd_mm.registry import MODELS

#: Attributes of the distiller set after its teachers' networks are registered: no teacher
#: (whose network becomes the submodule of its name) may take them.
LATER_ATTRIBUTES = ('student_recorders', 'connectors', 'losses', 'loss_sources')


@MODELS.register_module()
class CrossModalDistiller(BaseModel):
    """A student on one modality distilled from teachers on others, by configured losses.

    FD-CMKD (:class:`~fdkd_mm.models.losses.FDCMKDLoss`) and every baseline of the paper's
    Tables 2-3 (KD, DIST, DKD, NKD, DML, Feat, PKD, OFD, AFD, C2KD) are configs of this class;
    users compare methods by swapping configs. One training step:

    1. every teacher records its tensors of the batch (:meth:`~fdkd_mm.models.teachers.
       BaseTeacher.forward_batch`): a frozen teacher under ``no_grad`` in ``mode='tensor'``, a
       trainable one (DML, C2KD) in ``mode='loss'`` (its task losses logged ``teacher.*``), a
       cached one by reading the batch's rows of a teacher cache;
    2. the student runs its own ``loss`` on its modality inside its recorder group
       (keys ``student.*``);
    3. every loss of ``distill_losses`` is called with the keyword arguments that
       ``loss_forward_mappings`` wires up. A tensor result is logged as
       ``distill.<loss_name>``; a dict result as ``distill.<loss_name>.<key>`` (DML, C2KD),
       except for losses whose keys are complete log keys (``log_keys_are_final``, e.g.
       FD-CMKD's ``distill.loss_low``, ``align.*``, ``aux.*``), which are logged as they are.

    ``predict`` and ``tensor`` modes run the student alone, so validation measures the student
    with its own metric.

    Teachers (``teachers``): name → teacher config: ``FrozenTeacher``, ``TrainableTeacher``,
    ``StreamedTeacher`` or ``fdkd_mm.CachedTeacher`` (see :mod:`fdkd_mm.models.teachers`),
    each with its own input key(s) (a fusion teacher reads several, e.g.
    ``inputs=['audio', 'visual']``), recorders and checkpoint. A teacher's network is this
    distiller's submodule named after the teacher (checkpoint keys ``<name>.*``), registered
    after the student and before the connectors and losses. No teacher at all is a
    teacher-free distiller, whose losses carry the teacher's knowledge themselves (e.g.
    statistics of a teacher bank).

    The single-teacher keywords, which every shipped config uses, mean
    ``teachers={'teacher': <config>}`` (:func:`~fdkd_mm.models.teachers.shorthand_teachers`):
    ``teacher`` (network config or module; ``None``: teacher-free), ``teacher_input``,
    ``teacher_recorders``, ``teacher_ckpt``, ``teacher_trainable`` (DML, C2KD),
    ``teacher_autocast`` (``'bf16'`` / ``'fp16'`` for a frozen teacher),
    ``allow_teacher_mismatch``, ``teacher_cache`` (``dict(path=...)``: read the frozen
    teacher's tensors from a cache of ``tools/cache_teacher.py``; docs/teacher_cache.md) and
    ``teacher_stream`` (``True`` or a dataloader config: a ``StreamedTeacher``, which runs on
    batches of its own data, the config's ``teacher_dataloader``; docs/unpaired.md).
    ``distiller.teacher`` is then the teacher's network, ``teacher_input`` and
    ``teacher_recorders`` its input key and recorders.

    Recorders (``student_recorders`` and each teacher's): name → keyword arguments of
    :class:`~fdkd_mm.models.recorders.FeatureRecorder`, its ``pool`` included (``None``,
    ``'avg'``, ``'frames'``, ``'tokens'``; :func:`~fdkd_mm.models.pooling.pool_recorded`), e.g.
    ``logits=dict(path='head.fc')``, ``feat=dict(path='backbone.layer4', pool='avg')``, or of
    :class:`~fdkd_mm.models.recorders.ParameterRecorder` with ``source='parameter'``
    (a weight a loss derives its target from, e.g. OFD's teacher BN). Recorders that no
    mapping uses are not registered at all (a dataset-pair config may offer a vocabulary of
    tensors; each method takes what it needs), and are logged at DEBUG level.

    Connectors (``connectors``): name → config of a map applied to a recorded tensor before a
    loss (``ProjectionConnector``, ``OFDConnector``, ``IdentityConnector``). A dataset pair
    names how its student's feature reaches the teacher's width, e.g. an identity
    ``student_feat`` where the widths are equal and a projection where they differ, so one
    method config serves every pair. Like recorders, connectors no mapping uses are not built
    (logged at DEBUG level).

    Mapping vocabulary (``loss_forward_mappings[loss_name][arg_name]``), one source each:

    * ``dict(from_student=True, recorder='feat')``: a recorded (pooled) tensor of the student;
      ``from_student=False``: of the only teacher; ``teacher='audio'`` (instead of
      ``from_student``): of the teacher named ``audio`` (required when there are several).
      ``connector='s_proj'`` passes it through ``connectors['s_proj']`` first. A list,
      ``recorder=['s2', 's3', 's4']`` (optionally ``connector=[None, 'c3', None]``), passes
      a list of tensors (AFD).
    * ``dict(labels=True)``: the batch's labels, (N,) class ids or (N, H, W) label maps.
    * ``dict(metainfo='sample_idx')``: one metainfo value per sample as a tensor (CRD's
      memory rows are the samples' dataset indices).

    Several teachers: the log keys of a loss that reads exactly one teacher carry that
    teacher's name after their first part (``distill.<teacher>.<loss>``,
    ``distill.<teacher>.<loss>.<key>``, ``align.<teacher>.<key>`` for final keys), and a
    trainable teacher's task losses are ``teacher.<name>.*``. With one teacher, keys are as
    above.

    Everything is validated at build time: recorder paths, recorder / connector / teacher
    names of the mappings and each loss's forward signature. Widths the losses declare
    (``input_channels()``) are checked once: at build against the widths the recorded modules
    declare, and, where a module declares none, once more on the first training step against
    the recorded tensors. Errors name the culprit and list the valid names.

    Args:
        student: Config (any scope, e.g. ``type='mmseg.EncoderDecoder'``) or module.
        teachers: Teacher name → teacher config (or built teacher); ``None`` or ``{}`` with
            no single-teacher keyword: teacher-free. Names must be free attribute names of
            the distiller (not ``student``, ``losses``, ...).
        student_input: Key of the student's modality in the batch's inputs dict.
        student_recorders: Name → recorder config of the student tensors.
        distill_losses: Loss name → loss config. Names must contain ``'loss'`` (MMEngine sums
            only such keys) and no ``'.'``.
        loss_forward_mappings: Loss name → {forward argument → mapping} (see above).
        connectors: Connector name → config, trained with the student.
        data_preprocessor: Multi-modal preprocessor config. ``None`` builds a
            :class:`MultiModalDataPreprocessor` from the student's and teachers' own
            preprocessors, with labels handled by the student's.
        init_cfg: Initialisation config of the distiller.
        **single_teacher: The single-teacher keywords (see above); not with ``teachers``.
    """

    def __init__(self, student: Union[dict, nn.Module],
                 teachers: Optional[Mapping[str, Union[dict, BaseTeacher]]] = None, *,
                 student_input: str, student_recorders: dict[str, dict],
                 distill_losses: dict[str, dict], loss_forward_mappings: dict[str, dict],
                 connectors: Optional[dict[str, dict]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, **single_teacher) -> None:
        super().__init__(init_cfg=init_cfg)
        if teachers is not None and single_teacher:
            raise ValueError(f'model.teachers and the single-teacher keywords '
                             f'{sorted(single_teacher)} are both given; describe the teachers '
                             'in one form')
        teachers = (dict(teachers) if teachers is not None
                    else shorthand_teachers(single_teacher))
        used, used_connectors = used_names(loss_forward_mappings, list(teachers))
        self.student = MODELS.build(student)
        self.student_input = student_input
        #: Name → teacher; their networks are submodules of the distiller under these names.
        self.teachers: dict[str, BaseTeacher] = {}
        offered = {STUDENT: list(student_recorders)
                   if isinstance(student_recorders, Mapping) else []}
        for name, cfg in teachers.items():
            offered[name] = self._add_teacher(name, cfg, used.get(name, set()))
        if SHORTHAND_NAME not in self._modules:
            self.teacher = None  # cached or teacher-free: no network named 'teacher'
        check_recorder_configs(student_recorders, 'student_recorders')
        self.student_recorders = RecorderGroup(
            self.student, self._keep(student_recorders, used.get(STUDENT, set()),
                                     'student recorder'), role=STUDENT)
        self.data_preprocessor = (MODELS.build(data_preprocessor)
                                  if data_preprocessor is not None
                                  else self._multimodal_preprocessor())
        offered_connectors = list(connectors or {})
        connectors = self._keep(connectors or {}, used_connectors, 'connector',
                                allow_empty=True)
        self.connectors = nn.ModuleDict(
            {name: MODELS.build(cfg) for name, cfg in connectors.items()})
        self.losses = nn.ModuleDict()
        for name, cfg in distill_losses.items():
            if 'loss' not in name or '.' in name:
                raise ValueError(f'distill loss name {name!r} must contain "loss" (MMEngine only '
                                 'sums keys that do) and no "."')
            self.losses[name] = MODELS.build(cfg)
        self.loss_sources = parse_mappings(loss_forward_mappings, self.losses, offered,
                                           offered_connectors)
        self._log_teacher = self._teachers_in_log_keys()
        #: Widths left to check on the first training step (some module declared none).
        self._widths_pending = not self._check_widths(self._declared_width)

    # ---------------------------------------------------------------------------- build time
    def _add_teacher(self, name: str, cfg: Union[dict, BaseTeacher], used: set) -> list[str]:
        """Build teacher ``name`` (only the recorders a mapping uses) and register its network.

        Returns:
            The names of the recorders its config offers (the valid names in messages).
        """
        if (name == STUDENT or name in LATER_ATTRIBUTES or hasattr(self, name)
                or not str(name).isidentifier()):
            raise ValueError(f'teacher name {name!r} is not free: its network becomes the '
                             "distiller's submodule of that name; choose another")
        if isinstance(cfg, BaseTeacher):
            teacher, offered = cfg, list(cfg.recorder_names)
        else:
            cfg = dict(cfg)
            recorders = cfg.get('recorders')
            offered = list(recorders) if isinstance(recorders, Mapping) else []
            if isinstance(recorders, Mapping):
                cfg['recorders'] = self._keep(recorders, used, f'{name} recorder')
            teacher = MODELS.build(dict(cfg, name=name))
        if not isinstance(teacher, BaseTeacher) or teacher.name != name:
            raise TypeError(f'model.teachers.{name} must build a BaseTeacher named {name!r}, '
                            f'got {teacher!r}')
        self.teachers[name] = teacher
        if teacher.network is not None:
            self.add_module(name, teacher.network)
        return offered

    @staticmethod
    def _keep(offered: Mapping, used: set, what: str, allow_empty: bool = False) -> dict:
        """The offered recorders / connectors a mapping uses; the rest is not built.

        Recorders keep all of them when none is used (nothing to choose from).
        """
        if not isinstance(offered, Mapping):
            return offered  # the recorder group reports the type
        unused = sorted(set(offered) - used)
        if unused:
            print_log(f'{what}s {unused} are used by no distill loss and are not built',
                      logger='current', level=logging.DEBUG)
        kept = {name: cfg for name, cfg in offered.items() if name in used}
        return kept if kept or allow_empty else dict(offered)

    def _multimodal_preprocessor(self) -> MultiModalDataPreprocessor:
        """The student's and every teacher's own preprocessor, labels by the student's."""
        preprocessors = {self.student_input: self.student.data_preprocessor}
        for teacher in self.teachers.values():
            preprocessors.update(teacher.preprocessors())
        return MultiModalDataPreprocessor(preprocessors, label_modality=self.student_input)

    def _teachers_in_log_keys(self) -> dict[str, Optional[str]]:
        """Loss name → the teacher its log keys name (several teachers, exactly one read)."""
        names = {}
        for loss_name, sources in self.loss_sources.items():
            read = {s.teacher for s in sources.values() if s.kind == 'recorder'} - {None}
            names[loss_name] = read.pop() if len(self.teachers) > 1 and len(read) == 1 else None
        return names

    # ------------------------------------------------------------------------------- widths
    def describe(self, owner: str, name: str) -> str:
        """How recorder ``name`` of the student (owner ``'student'``) or of a teacher is
        obtained, for messages."""
        if owner == STUDENT:
            return self.student_recorders.describe(name)
        return self.teachers[owner].describe(name)

    def _declared_width(self, owner: str, name: str) -> Optional[int]:
        if owner == STUDENT:
            return self.student_recorders[name].declared_width()
        return self.teachers[owner].width(name)

    def _check_widths(self, width) -> bool:
        """:func:`~fdkd_mm.models.distillers.widths.check_loss_widths` with ``width(owner,
        name)``; whether every width was known."""
        return check_loss_widths(self.losses, self.loss_sources, self.connectors, width,
                                 self.describe)

    # ------------------------------------------------------- single-teacher (shorthand) view
    @property
    def teacher_input(self) -> Optional[Union[str, tuple[str, ...]]]:
        """The input key(s) of the teacher named ``'teacher'`` (the single-teacher
        shorthand's); None without one."""
        teacher = self.teachers.get(SHORTHAND_NAME)
        if teacher is None:
            return None
        keys = teacher.input_keys
        return keys[0] if len(keys) == 1 else keys

    @property
    def teacher_recorders(self) -> Mapping:
        """The recorders of the teacher named ``'teacher'`` (a
        :class:`~fdkd_mm.models.recorders.RecorderGroup` for a live one); ``{}`` without one.
        """
        teacher = self.teachers.get(SHORTHAND_NAME)
        return getattr(teacher, 'recorders', {}) if teacher is not None else {}

    # -------------------------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> 'CrossModalDistiller':
        """Set train/eval mode; each teacher then sets its network's (a frozen one: eval)."""
        super().train(mode)
        for teacher in getattr(self, 'teachers', {}).values():
            teacher.train(mode)
        return self

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
            student_inputs = select_inputs(inputs, (self.student_input, ), STUDENT)
            return self.student(student_inputs, data_samples, mode=mode)
        raise ValueError(f"invalid mode {mode!r}; expected 'loss', 'predict' or 'tensor'")

    # ------------------------------------------------------------------------------- a step
    def run_student(self, inputs: dict, data_samples: list) -> dict[str, Tensor]:
        """Run the student's own loss on its modality, recording its tensors.

        Args:
            inputs: Preprocessed modalities.
            data_samples: Data samples with labels.

        Returns:
            The student's task losses (unprefixed).
        """
        student_inputs = select_inputs(inputs, (self.student_input, ), STUDENT)
        with self.student_recorders:
            return self.student(student_inputs, data_samples, mode='loss')

    def loss_inputs(self, inputs: dict, data_samples: list) -> tuple[dict, dict]:
        """Run every teacher and the student and resolve every distillation loss's arguments.

        Args:
            inputs: Preprocessed modalities, ``{name: tensor}``.
            data_samples: Data samples with labels.

        Returns:
            ``(task_losses, arguments)``: the ``student.*`` (and trainable teachers'
            ``teacher.*``) task losses, and loss name → its keyword arguments.
        """
        device = next(iter(self.student.parameters())).device
        teacher_losses = {}
        for name, teacher in self.teachers.items():
            prefix = 'teacher' if len(self.teachers) == 1 else f'teacher.{name}'
            teacher_losses.update(add_prefix(teacher.forward_batch(inputs, data_samples, device),
                                             prefix))
        task_losses = add_prefix(self.run_student(inputs, data_samples), STUDENT)
        task_losses.update(teacher_losses)
        batch_size = len(data_samples)
        step = StepInputs(lambda owner, name: self.recorded(owner, name, batch_size),
                          self.connectors, lambda: gather_labels(data_samples).to(device),
                          lambda key: gather_metainfo(data_samples, key).to(device))
        if self._widths_pending:  # modules that declared no width: measured, once
            self._check_widths(lambda owner, name: _channels(step.tensor(owner, name)))
            self._widths_pending = False
        arguments = {loss_name: {arg: step.resolve(source)
                                 for arg, source in self.loss_sources[loss_name].items()}
                     for loss_name in self.losses}
        return task_losses, arguments

    def recorded(self, owner: str, name: str, batch_size: int) -> Tensor:
        """Recorder ``name`` of the student (owner ``'student'``) or of a teacher in the last
        step, pooled as its ``pool`` asks."""
        if owner == STUDENT:
            return self.student_recorders.recorded(name, batch_size)
        return self.teachers[owner].recorded(name, batch_size)

    def loss(self, inputs: dict, data_samples: list) -> dict[str, Tensor]:
        """Task losses of the student (and trainable teachers) plus every distillation loss.

        Args:
            inputs: Preprocessed modalities, ``{name: tensor}``.
            data_samples: Data samples with labels.

        Returns:
            Flat loss dict: ``student.*``, ``teacher.*`` (trainable teachers only), and the
            distillation keys (see the class docstring).
        """
        losses, arguments = self.loss_inputs(inputs, data_samples)
        for loss_name, loss in self.losses.items():
            new = with_teacher(self._log_keys(loss_name, loss, loss(**arguments[loss_name])),
                               self._log_teacher[loss_name])
            clash = sorted(set(new) & set(losses))
            if clash:
                raise ValueError(f'distill loss {loss_name!r} returned keys {clash} that '
                                 'another term already logs; rename one of the losses')
            losses.update(new)
        return losses

    @staticmethod
    def _log_keys(loss_name: str, loss: nn.Module, result) -> dict[str, Tensor]:
        if isinstance(result, Tensor):
            return {f'distill.{loss_name}': result}
        if isinstance(result, Mapping):
            return (dict(result) if getattr(loss, 'log_keys_are_final', False)
                    else add_prefix(result, f'distill.{loss_name}'))
        raise TypeError(f'distill loss {loss_name!r} returned {type(result).__name__}; '
                        'expected a tensor or a dict of tensors')


def _channels(tensor: Tensor) -> Optional[int]:
    """Dim 1 of a recorded tensor (its channels); None for a vector."""
    return tensor.shape[1] if tensor.dim() > 1 else None
