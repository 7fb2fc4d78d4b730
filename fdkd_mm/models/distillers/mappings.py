"""``loss_forward_mappings``: which recorded tensor (or the labels) feeds which loss argument.

Parsed and checked once at build time (:func:`parse_mappings`); resolved once per step
(:class:`StepInputs`), computing every (recorder, connector) pair at most once however many
losses use it.
"""
import difflib
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Optional, Union

from torch import Tensor, nn

from fdkd_mm.models.teachers.base import SHORTHAND_NAME, teacher_label

# Keys of one argument's mapping: exactly one source (recorder=, labels= or metainfo=).
SOURCE_KEYS = ('recorder', 'labels', 'metainfo')
MAPPING_KEYS = SOURCE_KEYS + ('from_student', 'teacher', 'connector')
#: The owner name of the student's recorders (no teacher may be called so).
STUDENT = 'student'


def owner_label(owner: str) -> str:
    """How messages call a recorders' owner: ``student``, ``teacher``, ``teacher 'audio'``."""
    return STUDENT if owner == STUDENT else teacher_label(owner)


@dataclass(frozen=True)
class ArgSource:
    """Where one forward argument of a distillation loss comes from (a parsed mapping).

    Attributes:
        kind: ``'recorder'``, ``'labels'`` or ``'metainfo'``.
        teacher: Name of the teacher whose recorders ``recorders`` name; None: the student's.
        recorders: Recorder names; one unless ``is_list``.
        connectors: Connector name (or None) applied to each recorded tensor.
        is_list: Pass a list of tensors (AFD) instead of one tensor.
        key: The data samples' metainfo key (``kind='metainfo'``, e.g. ``'sample_idx'``).
    """

    kind: str
    teacher: Optional[str] = None
    recorders: tuple[str, ...] = ()
    connectors: tuple[Optional[str], ...] = ()
    is_list: bool = False
    key: Optional[str] = None

    @property
    def from_student(self) -> bool:
        """Whether the recorders are the student's."""
        return self.teacher is None

    @property
    def owner(self) -> str:
        """``'student'`` or the teacher's name."""
        return STUDENT if self.teacher is None else self.teacher

    @property
    def role(self) -> str:
        """``'student'`` or ``'teacher'`` (e.g. for a suggested connector name)."""
        return STUDENT if self.teacher is None else 'teacher'


def closest(name: str, valid: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest valid name, or an empty string."""
    close = difflib.get_close_matches(name, list(valid), n=3, cutoff=0.5)
    return f' (did you mean {close[0]!r}?)' if close else ''


def default_teacher(teachers: Sequence[str]) -> Optional[str]:
    """The teacher ``from_student=False`` reads: the only one; ``'teacher'`` when there is
    none (its recorders are then empty); None when there are several (it must be named)."""
    if len(teachers) > 1:
        return None
    return teachers[0] if teachers else SHORTHAND_NAME


def _owner(where: str, spec: Mapping, teachers: Sequence[str]) -> Optional[str]:
    """Whose recorder a ``recorder=`` mapping reads (None: ambiguous, checked by the caller)."""
    if 'teacher' in spec:
        if spec.get('from_student', False) is not False:
            raise ValueError(f'{where}: teacher={spec["teacher"]!r} reads a teacher\'s recorder; '
                             'remove from_student')
        if spec['teacher'] not in teachers:
            raise ValueError(f'{where}: no teacher named {spec["teacher"]!r}'
                             f'{closest(str(spec["teacher"]), teachers)}; teachers: '
                             f'{list(teachers)}')
        return spec['teacher']
    if 'from_student' not in spec or not isinstance(spec['from_student'], bool):
        raise ValueError(f'{where}: say whose recorder it is with from_student=True|False')
    if spec['from_student']:
        return STUDENT
    owner = default_teacher(teachers)
    if owner is None:
        raise ValueError(f'{where}: the distiller has several teachers {list(teachers)}; name '
                         f"the one to read with teacher='<name>' instead of from_student=False")
    return owner


def used_names(mappings: Optional[Mapping], teachers: Sequence[str] = (SHORTHAND_NAME, )
               ) -> tuple[dict[str, set], set]:
    """Recorder names of each owner and connector names the mappings refer to.

    Unchecked (:func:`parse_mappings` checks): what is malformed is skipped here.

    Args:
        mappings: ``loss_forward_mappings``.
        teachers: The distiller's teacher names (``from_student=False`` reads the only one).

    Returns:
        ``({'student': names, <teacher>: names, ...}, connector names)``.
    """
    recorders: dict[str, set] = {}
    connectors: set = set()

    def as_list(value) -> list:
        return list(value) if isinstance(value, (list, tuple)) else [value]

    for mapping in (mappings or {}).values():
        for spec in (mapping.values() if isinstance(mapping, Mapping) else ()):
            if not isinstance(spec, Mapping) or 'recorder' not in spec:
                continue
            try:
                owner = _owner('', spec, teachers)
            except ValueError:
                continue
            recorders.setdefault(owner, set()).update(as_list(spec['recorder']))
            connectors.update(c for c in as_list(spec.get('connector')) if c is not None)
    return recorders, connectors


def check_signature(loss_name: str, loss: nn.Module, mapping: Mapping) -> None:
    """Raise a ValueError if ``mapping`` names arguments the loss's ``forward`` does not take,
    or leaves required ones unmapped."""
    params = inspect.signature(loss.forward).parameters
    keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
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


def parse_source(where: str, spec: Mapping, recorders: Mapping[str, Sequence[str]],
                 connectors: Sequence[str]) -> ArgSource:
    """Parse one argument's mapping, checking recorder and connector names.

    Args:
        where: Description of the argument for error messages.
        spec: ``dict(from_student=..., recorder=..., connector=...)``,
            ``dict(teacher='audio', recorder=..., ...)``, ``dict(labels=True)`` or
            ``dict(metainfo='sample_idx')`` (a per-sample metainfo value, as a tensor).
        recorders: Owner → recorder names: ``'student'`` and every teacher's name.
        connectors: Names of the distiller's connectors.

    Returns:
        The parsed :class:`ArgSource`.
    """
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
    if kinds[0] == 'labels':
        if {'from_student', 'teacher', 'connector'} & set(spec):
            raise ValueError(f'{where}: from_student / teacher / connector only apply to '
                             'recorder=')
        if spec['labels'] is not True:
            raise ValueError(f'{where}: write labels=True')
        return ArgSource('labels')
    if kinds[0] == 'metainfo':
        if {'from_student', 'teacher', 'connector'} & set(spec):
            raise ValueError(f'{where}: from_student / teacher / connector only apply to '
                             'recorder=')
        if not isinstance(spec['metainfo'], str) or not spec['metainfo']:
            raise ValueError(f"{where}: write metainfo='<key>', e.g. metainfo='sample_idx'")
        return ArgSource('metainfo', key=spec['metainfo'])
    owner = _owner(where, spec, [name for name in recorders if name != STUDENT])
    is_list = isinstance(spec['recorder'], (list, tuple))
    names = tuple(spec['recorder']) if is_list else (spec['recorder'],)
    wanted = spec.get('connector')
    if wanted is not None and is_list != isinstance(wanted, (list, tuple)):
        raise ValueError(f'{where}: give one connector name for one recorder, a list of '
                         f'connectors (or None) for a list of recorders; got '
                         f'recorder={spec["recorder"]!r}, connector={wanted!r}')
    if is_list:
        wanted = tuple(wanted) if wanted is not None else (None,) * len(names)
        if len(wanted) != len(names):
            raise ValueError(f'{where}: {len(names)} recorders but {len(wanted)} connectors; '
                             'give one connector (or None) per recorder')
    else:
        wanted = (wanted,)
    valid, label = list(recorders.get(owner, ())), owner_label(owner)
    for name in names:
        if name not in valid:
            raise ValueError(f'{where}: no {label} recorder named {name!r}'
                             f'{closest(str(name), valid)}; valid {label} recorders: {valid}')
    for name in wanted:
        if name is not None and name not in connectors:
            raise ValueError(f'{where}: no connector named {name!r}'
                             f'{closest(str(name), connectors)}; valid connectors: '
                             f'{list(connectors)}')
    return ArgSource('recorder', None if owner == STUDENT else owner, names, wanted, is_list)


def parse_mappings(mappings: Mapping, losses: Mapping[str, nn.Module],
                   recorders: Mapping[str, Sequence[str]],
                   connectors: Sequence[str]) -> dict[str, dict[str, ArgSource]]:
    """Parse and validate ``loss_forward_mappings`` against losses, recorders, signatures.

    Args:
        mappings: ``loss_forward_mappings``.
        losses: The built distillation losses by name.
        recorders: Owner (``'student'``, each teacher's name) → recorder names offered.
        connectors: Names of the connectors offered.

    Returns:
        Loss name → argument → :class:`ArgSource`.
    """
    unknown = sorted(set(mappings) - set(losses))
    if unknown:
        raise ValueError(f'loss_forward_mappings names losses {unknown} that are not in '
                         f'distill_losses; valid names: {sorted(losses)}')
    sources = {}
    for loss_name, loss in losses.items():
        if loss_name not in mappings:
            raise ValueError(f'distill loss {loss_name!r} has no entry in '
                             'loss_forward_mappings; map its forward arguments '
                             f'{list(inspect.signature(loss.forward).parameters)}')
        check_signature(loss_name, loss, mappings[loss_name])
        sources[loss_name] = {
            arg: parse_source(f'loss {loss_name!r} argument {arg!r}', spec, recorders, connectors)
            for arg, spec in mappings[loss_name].items()}
    return sources


class StepInputs:
    """Resolves :class:`ArgSource` objects for one step, computing each tensor once.

    Args:
        recorded: ``recorded(owner, name)``: the (pooled) tensor of recorder ``name`` of the
            student (owner ``'student'``) or of a teacher in this step.
        connectors: The distiller's connectors by name.
        labels: Returns the batch's labels (called at most once).
        metainfo: ``metainfo(key)``: the batch's per-sample metainfo values of ``key`` as a
            tensor (called at most once per key); None when the step has none.
    """

    def __init__(self, recorded: Callable[[str, str], Tensor], connectors: Mapping[str, nn.Module],
                 labels: Callable[[], Tensor],
                 metainfo: Optional[Callable[[str], Tensor]] = None) -> None:
        self._recorded_fn = recorded
        self._connectors = connectors
        self._labels_fn = labels
        self._metainfo_fn = metainfo
        self._cache: dict[tuple, Tensor] = {}

    def _cached(self, key: tuple, compute: Callable[[], Tensor]) -> Tensor:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def tensor(self, owner: str, name: str, connector: Optional[str] = None) -> Tensor:
        """Recorder ``name`` of ``owner``, through ``connector`` when one is named."""
        feature = self._cached((owner, name, None), lambda: self._recorded_fn(owner, name))
        if connector is None:
            return feature
        return self._cached((owner, name, connector),
                            lambda: self._connectors[connector](feature))

    def resolve(self, source: ArgSource) -> Union[Tensor, list[Tensor]]:
        """The value of one mapped loss argument for this step: a tensor, or a list of them."""
        if source.kind == 'labels':
            return self._cached(('labels',), self._labels_fn)
        if source.kind == 'metainfo':
            if self._metainfo_fn is None:
                raise ValueError(f'metainfo {source.key!r} was mapped but this step has no data '
                                 'samples to read it from')
            return self._cached(('metainfo', source.key),
                                lambda: self._metainfo_fn(source.key))
        tensors = [self.tensor(source.owner, name, connector)
                   for name, connector in zip(source.recorders, source.connectors)]
        return tensors if source.is_list else tensors[0]
