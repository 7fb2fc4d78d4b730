"""Recorders of tensors a distillation loss needs: forward-hook features and parameters."""
import difflib
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from typing import Any, Literal, Optional, Union

import torch
from torch import Tensor, nn

from fdkd_mm.models.pooling import POOL_MODES, pool_recorded

#: Attributes by which a module declares the width (channels) of its output or input.
_WIDTH_ATTRS = dict(output=('out_channels', 'out_features', 'num_features'),
                    input=('in_channels', 'in_features', 'num_features'))


def declared_width(module: nn.Module, source: str) -> Optional[int]:
    """The channel count a module declares for its output (or input), if it declares one.

    Read from ``out_channels`` / ``out_features`` / ``num_features`` (``in_*`` for the
    input); containers (``nn.Sequential``, mmcv's ``ConvModule``, connectors) declare the
    width of their last child for the output, of their first for the input.

    Args:
        module: The module.
        source: ``'output'`` or ``'input'``.

    Returns:
        The width, or ``None`` if the module declares none (a ReLU, say).
    """
    for attr in _WIDTH_ATTRS[source]:
        if isinstance(getattr(module, attr, None), int):
            return getattr(module, attr)
    children = list(module.children())
    for child in (reversed(children) if source == 'output' else children):
        width = declared_width(child, source)
        if width is not None:
            return width
    return None


def describe_recorder(owner: str, name: str, path: str, pool: Optional[str]) -> str:
    """How a recorded tensor is obtained, for messages:
    ``"student recorder 'feat' (path 'backbone.layer4', pool 'avg')"``."""
    return f'{owner} recorder {name!r} (path {path!r}' + (f', pool {pool!r})' if pool else ')')


class FeatureRecorder:
    """Record the input or output of one submodule during a forward pass.

    Use as a context manager: hooks are registered on ``__enter__`` and removed on ``__exit__``,
    so nothing is left behind on the model. A module that runs several times per forward (e.g. the
    ReLU of an mmpretrain ``BasicBlock``, called after ``bn1`` and again after the residual sum)
    is addressed by ``call_index``: ``path='backbone.layer4.1.relu', source='input',
    call_index=1`` is the pre-activation output of the last block.

    Inputs are captured with a forward *pre*-hook and cloned when the module works in place
    (``inplace=True``), because an in-place ReLU would otherwise overwrite the recorded tensor.
    Any other tensor modified in place after it was recorded (an output fed to an in-place
    ReLU, say) is detected through its version counter and reported instead of being returned
    silently wrong; ``clone=True`` fixes that case.

    Args:
        model: The model to record from.
        path: Module path as in ``model.named_modules()``; ``''`` is the model itself.
        source: ``'output'`` or ``'input'``.
        call_index: Which call of the module within one forward to keep (0-based).
        data_index: Position in the module's positional inputs, or in its output when that is a
            tuple/list.
        clone: Copy the recorded tensor. ``None`` (default) copies only the input of an
            in-place module.
        dtype: Cast a floating-point recorded tensor to this dtype (a copy), e.g. float32 for
            a teacher run under bf16 autocast. ``None`` (default) keeps it as it is.
        pool: How :meth:`pooled` reduces the tensor to the batch's samples: ``None``,
            ``'avg'``, ``'frames'`` or ``'tokens'`` (see
            :func:`~fdkd_mm.models.pooling.pool_recorded`). Defaults to None.

    Raises:
        ValueError: If ``path`` names no module (the message lists the closest valid paths),
            ``source`` or ``pool`` is invalid.
    """

    def __init__(self, model: nn.Module, path: str,
                 source: Literal['output', 'input'] = 'output', call_index: int = 0,
                 data_index: int = 0, clone: Optional[bool] = None,
                 dtype: Optional[torch.dtype] = None, pool: Optional[str] = None) -> None:
        if pool not in POOL_MODES:
            raise ValueError(f'pool must be one of {POOL_MODES}, got {pool!r}')
        if source not in ('output', 'input'):
            raise ValueError(f"recorder source must be 'output' or 'input', got {source!r}")
        modules = dict(model.named_modules())
        if path not in modules:
            close = difflib.get_close_matches(path, list(modules), n=8, cutoff=0.5)
            hint = ', '.join(repr(p) for p in close) if close else (
                'top-level modules: ' + ', '.join(repr(n) for n, _ in model.named_children()))
            raise ValueError(f'recorder path {path!r} is not a module of '
                             f'{type(model).__name__}; closest valid paths: {hint}')
        self.path = path
        self.source = source
        self.call_index = call_index
        self.data_index = data_index
        self.pool = pool
        self.module = modules[path]
        if clone is None:
            clone = source == 'input' and bool(getattr(self.module, 'inplace', False))
        self._clone = clone
        self.dtype = dtype
        self._version = 0
        self._handle = None
        self._calls = 0
        self._feature: Optional[Tensor] = None

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(path={self.path!r}, source={self.source!r}, '
                f'call_index={self.call_index})')

    def pooled(self, batch_size: int) -> Tensor:
        """The recorded tensor pooled to the batch's ``batch_size`` samples as ``pool`` asks."""
        return pool_recorded(self.feature, batch_size, self.pool)

    def declared_width(self) -> Optional[int]:
        """Dim 1 of :meth:`pooled` as the recorded module declares it; ``None`` when it
        declares none, or for token states (``pool='tokens'``: a sequence, not channels)."""
        if self.pool == 'tokens':
            return None
        return declared_width(self.module, self.source)

    def _pick(self, data: Any) -> Tensor:
        if isinstance(data, (tuple, list)):
            data = data[self.data_index]
        if not isinstance(data, Tensor):
            raise TypeError(f'{self!r} expected a tensor, got {type(data).__name__}; set '
                            f'data_index to pick one from a tuple/list')
        return data

    def _keep(self, data: Any) -> None:
        if self._calls == self.call_index:
            feature = self._pick(data)
            if (self.dtype is not None and feature.is_floating_point()
                    and feature.dtype != self.dtype):
                feature = feature.to(self.dtype)  # a copy: nothing can modify it in place
            elif self._clone:
                feature = feature.clone()
            self._feature = feature
            self._version = self._feature._version
        self._calls += 1

    def __enter__(self) -> 'FeatureRecorder':
        self._calls = 0
        self._feature = None
        if self.source == 'input':
            self._handle = self.module.register_forward_pre_hook(
                lambda _module, args: self._keep(args))
        else:
            self._handle = self.module.register_forward_hook(
                lambda _module, _args, output: self._keep(output))
        return self

    def __exit__(self, *exc_info) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    @property
    def feature(self) -> Tensor:
        """The recorded tensor of the last forward pass.

        Raises:
            RuntimeError: If the module did not run, or ran fewer than ``call_index + 1`` times.
        """
        if self._feature is None:
            raise RuntimeError(
                f'{self!r} recorded nothing: the module ran {self._calls} time(s) in the last '
                f'forward, so call_index={self.call_index} was never reached')
        if self._feature._version != self._version:
            raise RuntimeError(
                f'{self!r}: the recorded tensor was modified in place after it was recorded '
                '(e.g. by a following in-place ReLU); record with clone=True')
        return self._feature


class ParameterRecorder:
    """Give a loss one parameter (or buffer) of a model, as it is at the current step.

    Methods whose targets derive from a network's weights (OFD's margin comes from the teacher
    BN before the distilled feature) read them through this recorder, so the generic mapping
    code needs no knowledge of any method. Nothing is hooked: entering and leaving the context
    are no-ops, and :attr:`feature` is the live tensor (it follows a resumed or trained
    teacher).

    Args:
        model: The model holding the tensor.
        path: Its name in ``model.named_parameters()`` or ``model.named_buffers()``, e.g.
            ``'backbone.layer4.1.bn2.weight'``.
        source: Must be ``'parameter'`` (the key that selects this recorder in a config).
        pool: Must be None: a parameter is given as it is (accepted so that every recorder
            config has the same keys).

    Raises:
        ValueError: If ``path`` names no parameter or buffer (the closest names are listed),
            or ``pool`` is set.
    """

    #: A parameter is never pooled.
    pool = None

    def __init__(self, model: nn.Module, path: str, source: str = 'parameter',
                 pool: None = None) -> None:
        if source != 'parameter':
            raise ValueError(f"ParameterRecorder takes source='parameter', got {source!r}")
        if pool is not None:
            raise ValueError(f'a parameter recorder gives the parameter as it is; remove '
                             f'pool={pool!r}')
        tensors = dict(model.named_parameters())
        tensors.update(model.named_buffers())
        if path not in tensors:
            close = difflib.get_close_matches(path, list(tensors), n=6, cutoff=0.5)
            raise ValueError(f'recorder path {path!r} is not a parameter or buffer of '
                             f'{type(model).__name__}; closest: {close}')
        self.path = path
        self.source = source
        self._tensor = tensors[path]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r}, source='parameter')"

    def __enter__(self) -> 'ParameterRecorder':
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    @property
    def feature(self) -> Tensor:
        """The parameter (or buffer) tensor itself."""
        return self._tensor

    def pooled(self, batch_size: int) -> Tensor:
        """The parameter as it is (it belongs to no sample)."""
        return self._tensor

    def declared_width(self) -> None:
        """A parameter has no feature width."""
        return None


def build_recorder(model: nn.Module, cfg: Mapping) -> Union[FeatureRecorder, ParameterRecorder]:
    """A :class:`ParameterRecorder` for ``source='parameter'``, else a :class:`FeatureRecorder`."""
    if cfg.get('source') == 'parameter':
        return ParameterRecorder(model, **cfg)
    return FeatureRecorder(model, **cfg)


class RecorderGroup:
    """Several named :class:`FeatureRecorder` objects of one model, entered and exited together.

    A distiller that needs more than one tensor of a network (logits *and* features, or several
    stages for AFD) records them in one forward pass with one ``with`` block. The hooks are
    managed by a :class:`contextlib.ExitStack`, so a failure while entering or during the
    forward pass still removes every hook already registered.

    Args:
        model: The model to record from.
        recorders: Name → keyword arguments of :class:`FeatureRecorder` (``path``, ``source``,
            ``call_index``, ``data_index``, ``clone``, ``dtype``, ``pool``) or, with
            ``source='parameter'``, of :class:`ParameterRecorder`; or an already built recorder.
        role: Word naming the model in error messages (e.g. ``'student'``).

    Raises:
        ValueError / TypeError: If a recorder config is invalid; the message names the recorder.
    """

    def __init__(self, model: nn.Module, recorders: Mapping[str, Union[dict, FeatureRecorder]],
                 role: str = 'model') -> None:
        self.role = role
        self.recorders: dict[str, Union[FeatureRecorder, ParameterRecorder]] = {}
        for name, cfg in recorders.items():
            if isinstance(cfg, (FeatureRecorder, ParameterRecorder)):
                self.recorders[name] = cfg
                continue
            if not isinstance(cfg, Mapping):
                raise TypeError(f'{role} recorder {name!r} must be a dict of FeatureRecorder '
                                f'arguments (path, source, ...), got {type(cfg).__name__}')
            try:
                self.recorders[name] = build_recorder(model, cfg)
            except (TypeError, ValueError) as err:
                # Re-raised with the recorder's name: a config has many recorders.
                raise type(err)(f'{role} recorder {name!r}: {err}') from err
        self._stack: Optional[ExitStack] = None

    def __repr__(self) -> str:
        inner = ', '.join(f'{name}={rec!r}' for name, rec in self.recorders.items())
        return f'{type(self).__name__}({self.role}: {inner})'

    def __len__(self) -> int:
        return len(self.recorders)

    def __iter__(self) -> Iterator[str]:
        return iter(self.recorders)

    def __contains__(self, name: object) -> bool:
        return name in self.recorders

    def __getitem__(self, name: str) -> Union[FeatureRecorder, ParameterRecorder]:
        if name not in self.recorders:
            raise KeyError(f'no {self.role} recorder named {name!r}; valid names: '
                           f'{sorted(self.recorders)}')
        return self.recorders[name]

    def __enter__(self) -> 'RecorderGroup':
        with ExitStack() as stack:
            for recorder in self.recorders.values():
                stack.enter_context(recorder)
            # Entered without error: keep the hooks until __exit__.
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def feature(self, name: str) -> Tensor:
        """The tensor recorded by recorder ``name`` in the last forward pass."""
        return self[name].feature

    def features(self) -> dict[str, Tensor]:
        """Every recorded tensor of the last forward pass, by recorder name."""
        return {name: recorder.feature for name, recorder in self.recorders.items()}

    def recorded(self, name: str, batch_size: int) -> Tensor:
        """Recorder ``name``'s tensor of the last forward, pooled as its ``pool`` asks."""
        return self[name].pooled(batch_size)

    def describe(self, name: str) -> str:
        """How recorder ``name``'s tensor is obtained, for messages."""
        recorder = self[name]
        return describe_recorder(self.role, name, recorder.path, recorder.pool)
