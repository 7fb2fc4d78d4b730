"""One distiller for every baseline: named recorders → connectors → losses, wired by config."""
import difflib
import inspect
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional, Union

from mmengine.logging import print_log
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from fdkd_mm.models.builder import build_scoped
from fdkd_mm.models.distillers.base import (BaseCrossModalDistiller, gather_labels,
                                            prefix_losses)
from fdkd_mm.models.distillers.frequency_decoupled import pool_features
from fdkd_mm.models.losses.ofd import ofd_margin_from_bn
from fdkd_mm.registry import MODELS

POOL_MODES = (None, 'avg', 'frames')
# Keys of one argument's mapping; exactly one of the source keys (recorder, labels, teacher_bn).
SOURCE_KEYS = ('recorder', 'labels', 'teacher_bn')
MAPPING_KEYS = SOURCE_KEYS + ('from_student', 'connector')


def pool_recorded(feature: Tensor, batch_size: int, pool: Optional[str]) -> Tensor:
    """Pool a recorded tensor as its recorder's ``pool`` asks.

    Args:
        feature: Recorded tensor; (N·T, ...) for frame-folded video.
        batch_size: Number of samples N.
        pool: ``None`` (keep as is), ``'avg'`` (average space and frames to (N, D), see
            :func:`pool_features`) or ``'frames'`` (average only the T folded frames, keeping
            maps (N, C, H, W): spatial losses such as AFD, PKD, OFD on video).

    Returns:
        The pooled tensor.
    """
    if pool != 'frames':
        return pool_features(feature, batch_size, pool)
    if feature.shape[0] == batch_size:
        return feature
    if feature.shape[0] % batch_size:
        raise ValueError(f'recorded feature batch {feature.shape[0]} is not a multiple of the '
                         f'batch size {batch_size}')
    return feature.view(batch_size, -1, *feature.shape[1:]).mean(1)


@dataclass(frozen=True)
class ArgSource:
    """Where one forward argument of a distillation loss comes from (parsed mapping).

    Attributes:
        kind: ``'recorder'``, ``'labels'`` or ``'teacher_bn'``.
        from_student: Which network's recorders ``recorders`` name.
        recorders: Recorder names; one unless ``is_list``.
        connectors: Connector name (or None) applied to each recorded tensor.
        is_list: Pass a list of tensors (AFD) instead of one tensor.
        bn_path: Teacher BN module path of ``kind='teacher_bn'``.
    """

    kind: str
    from_student: bool = True
    recorders: tuple[str, ...] = ()
    connectors: tuple[Optional[str], ...] = ()
    is_list: bool = False
    bn_path: str = ''


def _closest(name: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=3, cutoff=0.5)
    return f' (did you mean {close[0]!r}?)' if close else ''


@MODELS.register_module()
class CrossModalDistiller(BaseCrossModalDistiller):
    """A cross-modal distiller assembled from named recorders, connectors and losses.

    Every baseline of the paper's Tables 2-3 (KD, DIST, DKD, NKD, DML, Feat, PKD, OFD, AFD,
    C2KD) is one config of this class; users compare methods by swapping configs. One step:

    1. the teacher runs on its modality inside its recorder group (frozen: ``no_grad``,
       ``mode='tensor'``; ``teacher_trainable=True``: ``mode='loss'``, keys ``teacher.*``);
    2. the student runs its own ``loss`` on its modality inside its recorder group
       (keys ``student.*``);
    3. every loss of ``distill_losses`` is called with the keyword arguments that
       ``loss_forward_mappings`` wires up; its result is logged as ``distill.<loss_name>``,
       or ``distill.<loss_name>.<key>`` for losses returning a dict (DML, C2KD).

    Recorders (``student_recorders`` / ``teacher_recorders``): name → keyword arguments of
    :class:`~fdkd_mm.models.recorders.FeatureRecorder` plus an optional ``pool``
    (``None``, ``'avg'``, ``'frames'``; see :func:`pool_recorded`), e.g.
    ``logits=dict(path='head.fc')``,
    ``feat=dict(path='backbone.layer4.1.relu', source='input', call_index=1, pool='avg')``.

    Mapping vocabulary (``loss_forward_mappings[loss_name][arg_name]``), one source per
    argument:

    * ``dict(from_student=True|False, recorder='feat')``: a recorded (pooled) tensor;
      ``connector='s_proj'`` passes it through ``connectors['s_proj']`` first. A list,
      ``recorder=['s2', 's3', 's4']`` (optionally ``connector=[None, 'c3', None]``), passes
      a list of tensors (AFD). Each (recorder, connector) pair is computed once per step,
      however many losses use it.
    * ``dict(labels=True)``: the batch's labels, (N,) class ids or (N, H, W) label maps.
    * ``dict(teacher_bn='backbone.layer4.1.bn2')``: OFD's per-channel margin derived from
      that teacher BatchNorm. Computed from the BN's current parameters at every step, so it
      always matches the loaded teacher checkpoint (and a resumed or trained teacher).

    Everything is validated at build time: recorder paths, recorder / connector / BN names,
    and each loss's forward signature (arguments it does not accept, required ones left
    unmapped); errors name the culprit and list the valid names.

    Args:
        student: Config or module of the student (any scope).
        teacher: Config or module of the teacher.
        student_input: Key of the student's modality in the batch's inputs dict.
        teacher_input: Key of the teacher's modality.
        student_recorders: Name → recorder config of the student tensors.
        teacher_recorders: Name → recorder config of the teacher tensors.
        distill_losses: Loss name → loss config. Names must contain ``'loss'`` (MMEngine sums
            only such keys) and no ``'.'``.
        loss_forward_mappings: Loss name → {forward argument → mapping} (see above).
        connectors: Connector name → config (e.g. ``ProjectionConnector``, ``OFDConnector``).
            Trained with the student.
        teacher_ckpt: Checkpoint of the trained unimodal teacher.
        teacher_trainable: Train the teacher with the student (DML, C2KD). Defaults to False.
        data_preprocessor: Multi-modal preprocessor config; ``None`` derives it from the two
            models (see :class:`BaseCrossModalDistiller`).
        init_cfg: Initialisation config of the distiller.
        teacher_autocast: ``'bf16'`` / ``'fp16'``: run the frozen teacher under autocast (see
            :class:`BaseCrossModalDistiller`).
    """

    def __init__(self, student: Union[dict, nn.Module], teacher: Union[dict, nn.Module],
                 student_input: str, teacher_input: str,
                 student_recorders: dict[str, dict], teacher_recorders: dict[str, dict],
                 distill_losses: dict[str, dict], loss_forward_mappings: dict[str, dict],
                 connectors: Optional[dict[str, dict]] = None,
                 teacher_ckpt: Optional[str] = None, teacher_trainable: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 teacher_autocast: Optional[str] = None) -> None:
        pools = {'student': self._split_pools(student_recorders, 'student'),
                 'teacher': self._split_pools(teacher_recorders, 'teacher')}
        super().__init__(
            student=student, teacher=teacher, student_input=student_input,
            teacher_input=teacher_input, teacher_ckpt=teacher_ckpt,
            data_preprocessor=data_preprocessor, init_cfg=init_cfg,
            student_recorders={n: self._without_pool(c) for n, c in student_recorders.items()},
            teacher_recorders={n: self._without_pool(c) for n, c in teacher_recorders.items()},
            teacher_trainable=teacher_trainable, teacher_autocast=teacher_autocast)
        self.pools = pools
        self.connectors = nn.ModuleDict(
            {name: build_scoped(cfg) for name, cfg in (connectors or {}).items()})
        # Not ``self.distill_losses``: that name is the base class's one-feature hook method.
        self.losses = nn.ModuleDict()
        for name, cfg in distill_losses.items():
            if 'loss' not in name or '.' in name:
                raise ValueError(f'distill loss name {name!r} must contain "loss" (MMEngine only '
                                 'sums keys that do) and no "."')
            self.losses[name] = build_scoped(cfg)
        self.loss_sources = self._parse_mappings(loss_forward_mappings)
        self._check_usage()

    # ---------------------------------------------------------------------------- build time
    @staticmethod
    def _split_pools(recorders: dict[str, dict], role: str) -> dict[str, Optional[str]]:
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
    def _without_pool(cfg: dict) -> dict:
        return {k: v for k, v in cfg.items() if k != 'pool'} if isinstance(cfg, Mapping) else cfg

    def _parse_mappings(self, mappings: dict) -> dict[str, dict[str, ArgSource]]:
        """Parse and validate ``loss_forward_mappings`` against losses, recorders, signatures."""
        unknown = sorted(set(mappings) - set(self.losses))
        if unknown:
            raise ValueError(f'loss_forward_mappings names losses {unknown} that are not in '
                             f'distill_losses; valid names: {sorted(self.losses)}')
        sources = {}
        for loss_name, loss in self.losses.items():
            if loss_name not in mappings:
                raise ValueError(f'distill loss {loss_name!r} has no entry in '
                                 'loss_forward_mappings; map its forward arguments '
                                 f'{list(inspect.signature(loss.forward).parameters)}')
            self._check_signature(loss_name, loss, mappings[loss_name])
            sources[loss_name] = {
                arg: self._parse_source(f'loss {loss_name!r} argument {arg!r}', spec)
                for arg, spec in mappings[loss_name].items()}
        return sources

    @staticmethod
    def _check_signature(loss_name: str, loss: nn.Module, mapping: dict) -> None:
        params = inspect.signature(loss.forward).parameters
        keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                         inspect.Parameter.KEYWORD_ONLY)
        accepted = [n for n, p in params.items() if p.kind in keyword_kinds]
        takes_any = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values())
        where = f'distill loss {loss_name!r} ({type(loss).__name__}.forward)'
        extra = [arg for arg in mapping if arg not in accepted]
        if extra and not takes_any:
            raise ValueError(f'{where} takes no argument(s) {extra}; it accepts {accepted}')
        required = [n for n in accepted
                    if params[n].default is inspect.Parameter.empty and n not in mapping]
        if required:
            raise ValueError(f'{where}: required argument(s) {required} are not mapped in '
                             f'loss_forward_mappings[{loss_name!r}] (mapped: {list(mapping)})')

    def _parse_source(self, where: str, spec: dict) -> ArgSource:
        if not isinstance(spec, Mapping):
            raise TypeError(f'{where}: mapping must be a dict such as dict(from_student=True, '
                            f"recorder='feat'), got {spec!r}")
        bad = sorted(set(spec) - set(MAPPING_KEYS))
        if bad:
            raise ValueError(f'{where}: unknown mapping key(s) {bad}; valid keys: '
                             f'{list(MAPPING_KEYS)}')
        kinds = [key for key in SOURCE_KEYS if key in spec]
        if len(kinds) != 1:
            raise ValueError(f'{where}: give exactly one source among {list(SOURCE_KEYS)}, '
                             f'got {kinds or "none"}')
        kind = kinds[0]
        if kind != 'recorder' and ({'from_student', 'connector'} & set(spec)):
            raise ValueError(f'{where}: from_student / connector only apply to recorder=')
        if kind == 'labels':
            if spec['labels'] is not True:
                raise ValueError(f'{where}: write labels=True')
            return ArgSource('labels')
        if kind == 'teacher_bn':
            return ArgSource('teacher_bn', from_student=False,
                             bn_path=self._check_teacher_bn(where, spec['teacher_bn']))
        if 'from_student' not in spec or not isinstance(spec['from_student'], bool):
            raise ValueError(f'{where}: say whose recorder it is with from_student=True|False')
        from_student = spec['from_student']
        role = 'student' if from_student else 'teacher'
        is_list = isinstance(spec['recorder'], (list, tuple))
        recorders = tuple(spec['recorder']) if is_list else (spec['recorder'],)
        connectors = spec.get('connector')
        if is_list != isinstance(connectors, (list, tuple)) and connectors is not None:
            raise ValueError(f'{where}: give one connector name for one recorder, a list of '
                             f'connectors (or None) for a list of recorders; got '
                             f'recorder={spec["recorder"]!r}, connector={connectors!r}')
        if is_list:
            connectors = tuple(connectors) if connectors is not None else (None,) * len(recorders)
            if len(connectors) != len(recorders):
                raise ValueError(f'{where}: {len(recorders)} recorders but {len(connectors)} '
                                 'connectors; give one connector (or None) per recorder')
        else:
            connectors = (connectors,)
        group = self.student_recorders if from_student else self.teacher_recorders
        for name in recorders:
            if name not in group:
                raise ValueError(f'{where}: no {role} recorder named {name!r}'
                                 f'{_closest(str(name), list(group))}; valid {role} recorders: '
                                 f'{list(group)}')
        for name in connectors:
            if name is not None and name not in self.connectors:
                raise ValueError(f'{where}: no connector named {name!r}'
                                 f'{_closest(str(name), list(self.connectors))}; valid '
                                 f'connectors: {list(self.connectors)}')
        return ArgSource('recorder', from_student, recorders, connectors, is_list)

    def _check_teacher_bn(self, where: str, path: str) -> str:
        modules = dict(self.teacher.named_modules())
        if isinstance(modules.get(path), _BatchNorm):
            return path
        norms = [name for name, module in modules.items() if isinstance(module, _BatchNorm)]
        found = f'is a {type(modules[path]).__name__}' if path in modules else 'does not exist'
        raise ValueError(f'{where}: teacher_bn {path!r} {found}; it must name a teacher '
                         f'BatchNorm{_closest(path, norms)}, e.g. {norms[-3:]}')

    def _check_usage(self) -> None:
        """Unused connectors are errors (untrained parameters break DDP); recorders warn."""
        used_connectors, used_recorders = set(), set()
        for sources in self.loss_sources.values():
            for source in sources.values():
                used_connectors.update(c for c in source.connectors if c is not None)
                role = 'student' if source.from_student else 'teacher'
                used_recorders.update((role, name) for name in source.recorders)
        unused = sorted(set(self.connectors) - used_connectors)
        if unused:
            raise ValueError(f'connectors {unused} are used by no loss_forward_mappings entry; '
                             'remove them or map them (connector=...)')
        for role, group in (('student', self.student_recorders),
                            ('teacher', self.teacher_recorders)):
            for name in group:
                if (role, name) not in used_recorders:
                    print_log(f'{role} recorder {name!r} is used by no distill loss',
                              logger='current', level=logging.WARNING)

    # -------------------------------------------------------------------------------- forward
    def loss(self, inputs: dict, data_samples: list) -> dict[str, Tensor]:
        """Task losses of the student (and a trainable teacher) plus every distillation loss.

        Args:
            inputs: Preprocessed modalities, ``{name: tensor}``.
            data_samples: Data samples with labels.

        Returns:
            Flat loss dict: ``student.*``, ``teacher.*`` (trainable teacher only),
            ``distill.<loss_name>[.<key>]``.
        """
        teacher_losses = self.run_teacher(inputs, data_samples, self.teacher_recorders)
        student_losses = self.run_student(inputs, data_samples, self.student_recorders)
        losses = prefix_losses('student', student_losses)
        losses.update(prefix_losses('teacher', teacher_losses))
        resolver = _StepInputs(self, data_samples)
        for loss_name, loss in self.losses.items():
            kwargs = {arg: resolver.resolve(source)
                      for arg, source in self.loss_sources[loss_name].items()}
            result = loss(**kwargs)
            if isinstance(result, Tensor):
                losses[f'distill.{loss_name}'] = result
            elif isinstance(result, Mapping):
                losses.update(prefix_losses(f'distill.{loss_name}', result))
            else:
                raise TypeError(f'distill loss {loss_name!r} returned {type(result).__name__}; '
                                'expected a tensor or a dict of tensors')
        return losses


class _StepInputs:
    """Resolves :class:`ArgSource` objects for one step, computing each tensor once."""

    def __init__(self, distiller: CrossModalDistiller, data_samples: list) -> None:
        self.distiller = distiller
        self.data_samples = data_samples
        self._cache: dict[tuple, Tensor] = {}

    def resolve(self, source: ArgSource) -> Union[Tensor, list[Tensor]]:
        """Return the value of one mapped loss argument for this step.

        Args:
            source: The parsed mapping of the argument.

        Returns:
            A tensor, or a list of tensors for a list of recorders.
        """
        if source.kind == 'labels':
            return self._cached(('labels',), self._labels)
        if source.kind == 'teacher_bn':
            # Not cached across steps: the margin always follows the teacher's current BN.
            bn = self.distiller.teacher.get_submodule(source.bn_path)
            return self._cached(('bn', source.bn_path), lambda: ofd_margin_from_bn(bn))
        tensors = [self._recorded(source.from_student, name, connector)
                   for name, connector in zip(source.recorders, source.connectors)]
        return tensors if source.is_list else tensors[0]

    def _cached(self, key: tuple, compute) -> Tensor:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _labels(self) -> Tensor:
        device = next(iter(self.distiller.student.parameters())).device
        return gather_labels(self.data_samples).to(device)

    def _recorded(self, from_student: bool, name: str, connector: Optional[str]) -> Tensor:
        role = 'student' if from_student else 'teacher'

        def pooled() -> Tensor:
            group = (self.distiller.student_recorders if from_student
                     else self.distiller.teacher_recorders)
            return pool_recorded(group.feature(name), len(self.data_samples),
                                 self.distiller.pools[role][name])

        feature = self._cached((role, name, None), pooled)
        if connector is None:
            return feature
        return self._cached((role, name, connector),
                            lambda: self.distiller.connectors[connector](feature))
