"""The cross-modal distiller: named recorders → connectors → losses, wired by config."""
import logging
from collections.abc import Mapping
from typing import Optional, Union

from mmengine.logging import print_log
from torch import Tensor, nn

from fdkd_mm.models.builder import build_scoped
from fdkd_mm.models.connectors import IdentityConnector
from fdkd_mm.models.distillers.base import (BaseCrossModalDistiller, gather_labels,
                                            prefix_losses)
from fdkd_mm.models.distillers.mappings import ArgSource, StepInputs, parse_mappings
from fdkd_mm.models.distillers.widths import check_input_channels
from fdkd_mm.registry import MODELS


@MODELS.register_module()
class CrossModalDistiller(BaseCrossModalDistiller):
    """A student on one modality distilled from a teacher on another, by configured losses.

    FD-CMKD (:class:`~fdkd_mm.models.losses.FDCMKDLoss`) and every baseline of the paper's
    Tables 2-3 (KD, DIST, DKD, NKD, DML, Feat, PKD, OFD, AFD, C2KD) are configs of this class;
    users compare methods by swapping configs. One training step:

    1. the teacher runs on its modality inside its recorder group (frozen: ``no_grad``,
       ``mode='tensor'``; ``teacher_trainable=True``: ``mode='loss'``, keys ``teacher.*``);
    2. the student runs its own ``loss`` on its modality inside its recorder group
       (keys ``student.*``);
    3. every loss of ``distill_losses`` is called with the keyword arguments that
       ``loss_forward_mappings`` wires up. A tensor result is logged as
       ``distill.<loss_name>``; a dict result as ``distill.<loss_name>.<key>`` (DML, C2KD),
       except for losses whose keys are complete log keys (``log_keys_are_final``, e.g.
       FD-CMKD's ``distill.loss_low``, ``align.*``, ``aux.*``), which are logged as they are.

    Recorders (``student_recorders`` / ``teacher_recorders``): name → keyword arguments of
    :class:`~fdkd_mm.models.recorders.FeatureRecorder` plus an optional ``pool`` (``None``,
    ``'avg'``, ``'frames'``; :func:`~fdkd_mm.models.pooling.pool_recorded`), e.g.
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

    * ``dict(from_student=True|False, recorder='feat')``: a recorded (pooled) tensor;
      ``connector='s_proj'`` passes it through ``connectors['s_proj']`` first. A list,
      ``recorder=['s2', 's3', 's4']`` (optionally ``connector=[None, 'c3', None]``), passes
      a list of tensors (AFD).
    * ``dict(labels=True)``: the batch's labels, (N,) class ids or (N, H, W) label maps.

    Everything is validated at build time: recorder paths, recorder / connector names and each
    loss's forward signature; widths the losses declare (``input_channels()``) are checked at
    every step. Errors name the culprit and list the valid names.

    Args:
        student: Config or module of the student (any scope).
        teacher: Config or module of the teacher; ``None`` for a teacher-free distiller (see
            :class:`BaseCrossModalDistiller`).
        student_input: Key of the student's modality in the batch's inputs dict.
        teacher_input: Key of the teacher's modality.
        student_recorders: Name → recorder config of the student tensors.
        teacher_recorders: Name → recorder config of the teacher tensors.
        distill_losses: Loss name → loss config. Names must contain ``'loss'`` (MMEngine sums
            only such keys) and no ``'.'``.
        loss_forward_mappings: Loss name → {forward argument → mapping} (see above).
        connectors: Connector name → config (e.g. ``ProjectionConnector``, ``OFDConnector``),
            trained with the student.
        teacher_ckpt: Checkpoint of the trained unimodal teacher.
        teacher_trainable: Train the teacher with the student (DML, C2KD). Defaults to False.
        data_preprocessor: Multi-modal preprocessor config; ``None`` derives it from the two
            models (see :class:`BaseCrossModalDistiller`).
        init_cfg: Initialisation config of the distiller.
        teacher_autocast: ``'bf16'`` / ``'fp16'``: run the frozen teacher under autocast (see
            :class:`BaseCrossModalDistiller`).
        allow_teacher_mismatch: Load a teacher checkpoint recorded for another modality or
            network anyway, with a warning (see :class:`BaseCrossModalDistiller`).
        teacher_cache: ``dict(path=...)``: read the frozen teacher's tensors from a teacher
            cache instead of running it (see :class:`BaseCrossModalDistiller`).
    """

    def __init__(self, student: Union[dict, nn.Module], teacher: Optional[Union[dict, nn.Module]],
                 student_input: str, teacher_input: Optional[str],
                 student_recorders: dict[str, dict],
                 teacher_recorders: Optional[dict[str, dict]],
                 distill_losses: dict[str, dict], loss_forward_mappings: dict[str, dict],
                 connectors: Optional[dict[str, dict]] = None,
                 teacher_ckpt: Optional[str] = None, teacher_trainable: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 teacher_autocast: Optional[str] = None,
                 allow_teacher_mismatch: bool = False,
                 teacher_cache: Optional[dict] = None) -> None:
        used = self._used_names(loss_forward_mappings)
        super().__init__(
            student=student, teacher=teacher, student_input=student_input,
            teacher_input=teacher_input, teacher_ckpt=teacher_ckpt,
            data_preprocessor=data_preprocessor, init_cfg=init_cfg,
            student_recorders=self._keep(student_recorders, used['student'], 'student recorder'),
            teacher_recorders=self._keep(teacher_recorders, used['teacher'], 'teacher recorder'),
            teacher_trainable=teacher_trainable, teacher_autocast=teacher_autocast,
            allow_teacher_mismatch=allow_teacher_mismatch, teacher_cache=teacher_cache)
        offered_connectors = list(connectors or {})
        connectors = self._keep(connectors or {}, used['connector'], 'connector', allow_empty=True)
        self.connectors = nn.ModuleDict(
            {name: build_scoped(cfg) for name, cfg in connectors.items()})
        self.losses = nn.ModuleDict()
        for name, cfg in distill_losses.items():
            if 'loss' not in name or '.' in name:
                raise ValueError(f'distill loss name {name!r} must contain "loss" (MMEngine only '
                                 'sums keys that do) and no "."')
            self.losses[name] = build_scoped(cfg)
        # Valid names in messages: every recorder the config offers, registered or not.
        offered = {role: list(cfg) if isinstance(cfg, Mapping) else []
                   for role, cfg in (('student', student_recorders),
                                     ('teacher', teacher_recorders))}
        self.loss_sources = parse_mappings(loss_forward_mappings, self.losses, offered,
                                           offered_connectors)

    # ---------------------------------------------------------------------------- build time
    @staticmethod
    def _used_names(mappings: Mapping) -> dict[str, set]:
        """Recorder names of each side and connector names the mappings refer to (validated
        later, by parse_mappings)."""
        used = dict(student=set(), teacher=set(), connector=set())

        def as_list(value) -> list:
            return list(value) if isinstance(value, (list, tuple)) else [value]

        for mapping in (mappings or {}).values():
            for spec in (mapping.values() if isinstance(mapping, Mapping) else ()):
                if isinstance(spec, Mapping) and 'recorder' in spec:
                    role = 'student' if spec.get('from_student', True) else 'teacher'
                    used[role].update(as_list(spec['recorder']))
                    used['connector'].update(c for c in as_list(spec.get('connector'))
                                             if c is not None)
        return used

    @staticmethod
    def _keep(offered: Mapping, used: set, what: str, allow_empty: bool = False) -> dict:
        """The offered recorders / connectors a mapping uses; the rest is not built.

        Recorders keep all of them when none is used (nothing to choose from).
        """
        if not isinstance(offered, Mapping):
            return offered  # the base class reports the type
        unused = sorted(set(offered) - used)
        if unused:
            print_log(f'{what}s {unused} are used by no distill loss and are not built',
                      logger='current', level=logging.DEBUG)
        kept = {name: cfg for name, cfg in offered.items() if name in used}
        return kept if kept or allow_empty else dict(offered)

    def describe(self, source: ArgSource, index: int, with_connector: bool = True) -> str:
        """How the ``index``-th tensor of a mapped argument is obtained, for messages."""
        recorder = source.recorders[index]
        group = self.student_recorders if source.from_student else self.teacher_recorders
        connector = source.connectors[index]
        pool = self.pools[source.role].get(recorder)
        text = f'{source.role} recorder {recorder!r} (path {group[recorder].path!r}'
        text += f', pool {pool!r})' if pool else ')'
        if (not with_connector or connector is None
                or isinstance(self.connectors[connector], IdentityConnector)):
            return text
        return text + f" after connector '{connector}'"

    def check_widths(self, loss_name: str, kwargs: dict) -> None:
        """Check the mapped tensors of one loss against its declared ``input_channels()``."""
        loss = self.losses[loss_name]
        declared = loss.input_channels() if hasattr(loss, 'input_channels') else {}
        for arg, expected in declared.items():
            source = self.loss_sources[loss_name].get(arg)
            if source is None or source.kind != 'recorder':
                continue
            values = kwargs[arg] if source.is_list else [kwargs[arg]]
            check_input_channels(loss_name, arg, expected if source.is_list else [expected],
                                 [v.shape[1] if v.dim() > 1 else None for v in values],
                                 [self.describe(source, i) for i in range(len(values))],
                                 source.role)

    # -------------------------------------------------------------------------------- forward
    def loss_inputs(self, inputs: dict, data_samples: list) -> tuple[dict, dict]:
        """Run both networks and resolve every distillation loss's arguments.

        Args:
            inputs: Preprocessed modalities, ``{name: tensor}``.
            data_samples: Data samples with labels.

        Returns:
            ``(task_losses, arguments)``: the ``student.*`` (and a trainable teacher's
            ``teacher.*``) task losses, and loss name → its keyword arguments, widths checked.
        """
        teacher_losses = self.run_teacher(inputs, data_samples, self.teacher_recorders)
        student_losses = self.run_student(inputs, data_samples, self.student_recorders)
        task_losses = prefix_losses('student', student_losses)
        task_losses.update(prefix_losses('teacher', teacher_losses))
        batch_size = len(data_samples)
        device = next(iter(self.student.parameters())).device
        step = StepInputs(lambda role, name: self.recorded(role, name, batch_size),
                          self.connectors, lambda: gather_labels(data_samples).to(device))
        arguments = {}
        for loss_name in self.losses:
            arguments[loss_name] = {arg: step.resolve(source)
                                    for arg, source in self.loss_sources[loss_name].items()}
            self.check_widths(loss_name, arguments[loss_name])
        return task_losses, arguments

    def loss(self, inputs: dict, data_samples: list) -> dict[str, Tensor]:
        """Task losses of the student (and a trainable teacher) plus every distillation loss.

        Args:
            inputs: Preprocessed modalities, ``{name: tensor}``.
            data_samples: Data samples with labels.

        Returns:
            Flat loss dict: ``student.*``, ``teacher.*`` (trainable teacher only), and the
            distillation keys (see the class docstring).
        """
        losses, arguments = self.loss_inputs(inputs, data_samples)
        for loss_name, loss in self.losses.items():
            self._log_result(losses, loss_name, loss, loss(**arguments[loss_name]))
        return losses

    @staticmethod
    def _log_result(losses: dict, loss_name: str, loss: nn.Module, result) -> None:
        if isinstance(result, Tensor):
            new = {f'distill.{loss_name}': result}
        elif isinstance(result, Mapping):
            new = (dict(result) if getattr(loss, 'log_keys_are_final', False)
                   else prefix_losses(f'distill.{loss_name}', result))
        else:
            raise TypeError(f'distill loss {loss_name!r} returned {type(result).__name__}; '
                            'expected a tensor or a dict of tensors')
        clash = sorted(set(new) & set(losses))
        if clash:
            raise ValueError(f'distill loss {loss_name!r} returned keys {clash} that another '
                             'term already logs; rename one of the losses')
        losses.update(new)
