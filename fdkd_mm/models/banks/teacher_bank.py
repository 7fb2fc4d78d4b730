"""The teacher bank: what a frozen teacher knows about each class, for distilling without pairs.

A bank holds, per band of the teacher's standardised features, the class-conditional mean and
per-dimension variance, the teacher's mean prediction on each class (softmax at τ), optionally
every sample's pooled feature, and a manifest saying where it comes from (the teacher's
identity record: checkpoint SHA-256, network, recorders, input transforms; the teacher data, the
band layout, τ). docs/unpaired.md describes it.

:class:`TeacherBank` keeps the bank in a loss as the module's *extra state*
(``get_extra_state`` / ``set_extra_state``): it travels in every checkpoint, so ``--resume``
and ``tools/test.py`` get it back bit-exact, but it is not a buffer, so it is neither averaged
over ranks (``SyncBuffersHook``), nor cast by ``model.half()``, nor shape-checked against an
empty bank by strict loading. The tensors stay on the CPU; :meth:`TeacherBank.tensor` keeps
one copy per device.
"""
import os
import os.path as osp
from collections.abc import Mapping
from typing import Optional, Union

import torch
from torch import Tensor, nn

from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
from fdkd_mm.models.banks.classifier import CLASSIFIER_KEYS, check_bank_classifier
from fdkd_mm.errors import BankError

BANK_FORMAT = 'fdkd_mm.teacher_bank'
#: 2: the manifest's ``teacher`` is the teacher identity record
#: (:func:`~fdkd_mm.recording.identity.teacher_identity`).
BANK_VERSION = 2
#: Tensors every bank holds, and those of a feature bank (pooled features only).
STAT_KEYS = ('counts', 'means', 'variances', 'label_counts', 'label_dist')
SAMPLE_KEYS = ('features', 'labels')
#: Manifest entries a loss checks a bank against.
LAYOUT_KEYS = ('num_classes', 'dim', 'bands', 'temperature')


class BankMismatchError(BankError):
    """A bank was made by another teacher, for other classes or another band layout."""


def band_layout(decoupler: nn.Module) -> dict:
    """The band layout of a decoupler as plain data: its type, band names and settings.

    Args:
        decoupler: A :class:`~fdkd_mm.models.decouplers.BaseDecoupler`.

    Returns:
        E.g. ``dict(decoupler='FrequencyDecoupler', bands=['low', 'high'], cutoffs=[0.5])``.
    """
    layout = dict(decoupler=type(decoupler).__name__, bands=list(decoupler.band_names))
    for name in ('cutoffs', 'wavelet', 'levels'):
        value = getattr(decoupler, name, None)
        if value is not None:
            layout[name] = [float(v) for v in value] if isinstance(value, (list, tuple)) \
                else value
    if 'cutoffs' not in layout and getattr(decoupler, 'cutoff', None) is not None:
        layout['cutoffs'] = [float(decoupler.cutoff)]
    return layout


def check_bank_state(state: Mapping, source: str) -> None:
    """Raise a ValueError naming ``source`` unless ``state`` is a well-formed bank.

    Args:
        state: ``dict(format, version, manifest, tensors)``.
        source: Where it comes from (a file, ``'checkpoint'``), for messages.
    """
    if not isinstance(state, Mapping) or state.get('format') != BANK_FORMAT:
        raise ValueError(f'{source} is not a teacher bank (no format {BANK_FORMAT!r}); make one '
                         'with tools/build_teacher_bank.py')
    if state.get('version') != BANK_VERSION:
        raise ValueError(f'{source}: teacher bank version {state.get("version")}, this fdkd_mm '
                         f'reads version {BANK_VERSION}; build the bank again')
    manifest, tensors = state.get('manifest'), state.get('tensors')
    if not isinstance(manifest, Mapping) or not isinstance(tensors, Mapping):
        raise ValueError(f'{source}: a teacher bank needs a manifest and tensors')
    missing = [key for key in STAT_KEYS if key not in tensors]
    if any(key in tensors for key in SAMPLE_KEYS):  # a feature bank needs both
        missing += [key for key in SAMPLE_KEYS if key not in tensors]
    if missing:
        raise ValueError(f'{source}: teacher bank lacks the tensors {sorted(set(missing))}')
    num_classes, dim = manifest.get('num_classes'), manifest.get('dim')
    num_bands = len((manifest.get('bands') or {}).get('bands', ()))
    expected = dict(counts=(num_classes,), label_counts=(num_classes,),
                    means=(num_bands, num_classes, dim), variances=(num_bands, num_classes, dim),
                    label_dist=(num_classes, num_classes))
    if 'features' in tensors:
        expected.update(features=(len(tensors['labels']), dim),
                        labels=(len(tensors['features']),))
    for key, shape in expected.items():
        if not isinstance(tensors[key], Tensor) or tuple(tensors[key].shape) != shape:
            got = tuple(tensors[key].shape) if isinstance(tensors[key], Tensor) else \
                type(tensors[key]).__name__
            raise ValueError(f'{source}: teacher bank tensor {key!r} is {got}, its manifest '
                             f'(num_classes {num_classes}, {num_bands} bands, dim {dim}) needs '
                             f'{shape}')
    check_bank_classifier(manifest, tensors, source)


def check_bank_fits(manifest: Mapping, expected: Mapping, source: str) -> None:
    """Raise :class:`BankMismatchError` listing every entry where a bank differs from what a
    loss needs (classes, feature width, band layout, temperature).

    Args:
        manifest: The bank's manifest.
        expected: The loss's :func:`LAYOUT_KEYS` entries.
        source: The bank's origin, for the message.
    """
    differences = [f'{key} {manifest.get(key)!r} (bank) vs {expected[key]!r} (loss)'
                   for key in LAYOUT_KEYS if key in expected and manifest.get(key) != expected[key]]
    if differences:
        teacher = (manifest.get('teacher') or {}).get('checkpoint')
        raise BankMismatchError(
            f'teacher bank {source} (teacher {teacher}) does not fit this loss: '
            f'{"; ".join(differences)}. Build the bank for this config '
            '(tools/build_teacher_bank.py CONFIG --out BANK) or fix the loss settings.')


def save_bank(state: Mapping, path: str) -> int:
    """Write a bank atomically (``<path>.tmp``, then renamed); return its size in bytes."""
    check_bank_state(state, path)
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = f'{path}.tmp'
    torch.save(dict(state), tmp)
    os.replace(tmp, path)
    return osp.getsize(path)


def load_bank(path: str) -> dict:
    """Read a bank file with the safe loader (tensors and plain data only) and check it."""
    state = load_checkpoint_file(path, map_location='cpu')
    check_bank_state(state, path)
    return state


class TeacherBank(nn.Module):
    """A teacher bank held by a loss, checkpointed as the module's extra state.

    Empty until :meth:`set_state` (from a bank file, the building hook, or a checkpoint).

    Args:
        expected: The :data:`LAYOUT_KEYS` entries the holder needs; every bank set, also one
            restored from a checkpoint, is checked against them (:func:`check_bank_fits`).
    """

    def __init__(self, expected: Optional[Mapping] = None) -> None:
        super().__init__()
        self.expected = dict(expected) if expected is not None else None
        self._state: dict = {}
        self._on_device: dict[tuple, Tensor] = {}

    @property
    def filled(self) -> bool:
        return bool(self._state)

    @property
    def manifest(self) -> dict:
        return self._state.get('manifest', {}) if self._state else {}

    @property
    def has_samples(self) -> bool:
        return self.filled and 'features' in self._state['tensors']

    @property
    def has_classifier(self) -> bool:
        """Whether the bank carries the teacher's linear classifier (label alignment)."""
        return self.filled and all(key in self._state['tensors'] for key in CLASSIFIER_KEYS)

    def set_state(self, state: Mapping, source: str = 'the bank') -> None:
        """Hold ``state`` (checked, also against :attr:`expected`), as CPU copies."""
        check_bank_state(state, source)
        if self.expected is not None:
            check_bank_fits(state['manifest'], self.expected, source)
        tensors = {key: value.detach().to('cpu', copy=True).contiguous()
                   for key, value in state['tensors'].items()}
        self._state = dict(format=BANK_FORMAT, version=BANK_VERSION,
                           manifest=dict(state['manifest']), tensors=tensors)
        self._on_device.clear()

    def state(self) -> dict:
        """The bank as saved: ``dict(format, version, manifest, tensors)`` (``{}`` if empty)."""
        return self._state

    def tensor(self, name: str, device: Union[str, torch.device],
               dtype: Optional[torch.dtype] = None) -> Tensor:
        """Bank tensor ``name`` on ``device`` (in ``dtype``), copied once per device."""
        if not self.filled:
            raise RuntimeError('the teacher bank is empty')
        key = (name, str(device), dtype)
        if key not in self._on_device:
            value = self._state['tensors'][name]
            self._on_device[key] = value.to(device=device, dtype=dtype or value.dtype)
        return self._on_device[key]

    def num_bytes(self) -> int:
        """Memory of the bank's tensors."""
        return sum(t.numel() * t.element_size() for t in self._state.get('tensors', {}).values())

    def get_extra_state(self) -> dict:
        return self._state

    def set_extra_state(self, state: dict) -> None:
        if state:
            self.set_state(state, 'the checkpoint')
        else:
            self._state = {}
            self._on_device.clear()

    def extra_repr(self) -> str:
        if not self.filled:
            return 'empty'
        manifest = self.manifest
        samples = f', {len(self._state["tensors"]["features"])} samples' \
            if self.has_samples else ''
        return (f'{manifest.get("layout")}, {manifest.get("num_classes")} classes, dim '
                f'{manifest.get("dim")}{samples}')
