"""Build a teacher bank from a config: run the frozen teacher once over its own data.

An unpaired config says where the bank comes from in two top-level entries (the hook
:class:`~fdkd_mm.engine.hooks.BuildTeacherBankHook` and ``tools/build_teacher_bank.py`` read
the same ones)::

    teacher_bank = dict(
        teacher=<model config of the teacher, e.g. the Uni model of its modality>,
        teacher_input='depth',          # its modality (checked against the checkpoint)
        teacher_ckpt='work_dirs/uni-parta_dlv3p-r18-depth_nyu/epoch_50.pth',
        recorders=dict(feat=..., logits=...),   # as the distiller's recorders (pool too)
        keep_samples='auto',            # pooled features: keep every sample's feature
        allow_missing_classes=False)
    teacher_dataloader = dict(...)      # the teacher's data: its modality, plain inputs

The band layout, τ, classes and ignore index are the loss's (``UnpairedFDLoss``), so the bank
fits the loss by construction.
"""
import copy
import datetime
import os.path as osp
import time
from collections.abc import Mapping
from typing import Optional

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn

from fdkd_mm.config.typed_args import check_bool, check_choice
from fdkd_mm.datasets.disjoint_parts import (GROUP_KEYS, DisjointPartDataset, dataset_identity,
                                             sample_key)
from fdkd_mm.models.banks import (BANK_FORMAT, BANK_VERSION, BankAccumulator, BankMismatchError,
                                  TeacherBank)
from fdkd_mm.models.distillers.labels import gather_labels
from fdkd_mm.models.losses.unpaired_fd import UnpairedFDLoss
from fdkd_mm.recording.identity import identity_differences, teacher_identity
from fdkd_mm.recording.teacher_pass import TeacherCheck, build_network, ordered_loader, record
from fdkd_mm.teacher_bank.classifier import teacher_classifier

SETTINGS_KEY = 'teacher_bank'
LOADER_KEY = 'teacher_dataloader'
_REQUIRED = ('teacher', 'teacher_ckpt', 'recorders')
_OPTIONAL = dict(teacher_input=None, keep_samples='auto', allow_missing_classes=False,
                 allow_teacher_mismatch=False, require_disjoint=False, loss=None,
                 classifier='auto')


def bank_settings(cfg: Mapping) -> dict:
    """The config's ``teacher_bank`` entry with defaults, checked.

    Raises:
        KeyError: The config has no ``teacher_bank`` / ``teacher_dataloader``, or an entry is
            missing (all named).
        ValueError: Unknown entries, or recorders without ``feat`` and ``logits``.
    """
    settings = cfg.get(SETTINGS_KEY)
    if settings is None or cfg.get(LOADER_KEY) is None:
        raise KeyError(f'building a teacher bank needs the config entries {SETTINGS_KEY} and '
                       f'{LOADER_KEY} (see docs/unpaired.md); this config has '
                       f'{[k for k in (SETTINGS_KEY, LOADER_KEY) if cfg.get(k) is not None]}')
    settings = dict(settings)
    missing = [key for key in _REQUIRED if settings.get(key) is None]
    if missing:
        raise KeyError(f'{SETTINGS_KEY} lacks {missing}')
    unknown = sorted(set(settings) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ValueError(f'{SETTINGS_KEY} has unknown entries {unknown}; known: '
                         f'{[*_REQUIRED, *_OPTIONAL]}')
    for key, default in _OPTIONAL.items():
        settings.setdefault(key, default)
    recorders = settings['recorders']
    if not isinstance(recorders, Mapping) or not {'feat', 'logits'} <= set(recorders):
        raise ValueError(f'{SETTINGS_KEY}.recorders must name the teacher tensors feat and '
                         f'logits (e.g. the pair config\'s tensor vocabulary), got {recorders!r}')
    settings['recorders'] = {name: recorders[name] for name in ('feat', 'logits')}
    settings['keep_samples'] = check_choice(settings['keep_samples'],
                                            f'{SETTINGS_KEY}.keep_samples', ['auto', True, False])
    for key in ('allow_missing_classes', 'allow_teacher_mismatch', 'require_disjoint'):
        settings[key] = check_bool(settings[key], f'{SETTINGS_KEY}.{key}')
    return settings


def banked_losses(model: nn.Module, name: Optional[str] = None) -> dict[str, UnpairedFDLoss]:
    """The distiller's losses that read a teacher bank, by name (``name``: just that one):
    those holding a :class:`~fdkd_mm.models.banks.TeacherBank` (``UnpairedFDLoss``,
    ``UnpairedCMKDLoss``) with a term that reads it."""
    if is_model_wrapper(model):
        model = model.module
    losses = getattr(model, 'losses', {})
    found = {key: loss for key, loss in losses.items()
             if isinstance(getattr(loss, 'bank', None), TeacherBank) and loss.uses_bank}
    if name is not None:
        if name not in found:
            raise KeyError(f'{SETTINGS_KEY}.loss={name!r} is not a distill loss holding a bank; '
                           f'those are {sorted(found)}')
        return {name: found[name]}
    return found


def bank_identity(cfg: Mapping, settings: dict, checkpoint: str) -> dict:
    """The teacher identity record of the bank ``cfg`` describes (``teacher_ckpt``: this one).

    The transforms are those of the teacher data's pipeline (below dataset wrappers).
    """
    dataset = cfg[LOADER_KEY]['dataset']
    while 'pipeline' not in dataset and 'dataset' in dataset:  # DisjointPartDataset & co.
        dataset = dataset['dataset']
    return teacher_identity(settings['teacher_input'], settings['teacher'], checkpoint,
                            settings['recorders'], dataset.get('pipeline'))


def _keys_and_groups(dataset) -> tuple[set, Optional[tuple[str, set]]]:
    """Sample keys of a dataset, and (group_by, groups) when it is a part."""
    dataset.full_init()
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    groups = None
    if isinstance(dataset, DisjointPartDataset):
        groups = (dataset.group_by, {GROUP_KEYS[dataset.group_by](info) for info in infos})
    return {sample_key(info) for info in infos}, groups


def student_overlap(cfg: Mapping, teacher_dataset, student_dataset=None) -> dict:
    """What the student's training data shares with the teacher's: samples, and groups when
    both are parts split by the same key (the unpaired protocol wants both 0).

    Args:
        cfg: The unpaired config (its ``train_dataloader.dataset`` is the student's data).
        teacher_dataset: The teacher's dataset.
        student_dataset: The student's training dataset when already built (a runner's
            ``train_dataloader.dataset``, built from the same config); ``None`` builds it from
            ``cfg``.

    Returns:
        ``dict(samples=n, groups=m or None)``; ``{}`` without a ``train_dataloader`` (and no
        ``student_dataset``).
    """
    if student_dataset is None:
        from fdkd_mm.registry import DATASETS
        student_cfg = (cfg.get('train_dataloader') or {}).get('dataset')
        if student_cfg is None:
            return {}
        student_dataset = DATASETS.build(copy.deepcopy(student_cfg))
    student_keys, student_groups = _keys_and_groups(student_dataset)
    teacher_keys, teacher_groups = _keys_and_groups(teacher_dataset)
    groups = None
    if student_groups and teacher_groups and student_groups[0] == teacher_groups[0]:
        groups = len(student_groups[1] & teacher_groups[1])
    return dict(samples=len(student_keys & teacher_keys), groups=groups)


def _check_disjoint(overlap: dict, settings: dict) -> None:
    shared = overlap.get('samples') or overlap.get('groups')
    if not shared:
        return
    text = (f'the teacher data ({LOADER_KEY}) shares {overlap["samples"]} samples'
            + (f' and {overlap["groups"]} groups' if overlap.get('groups') else '')
            + ' with the student\'s training data')
    if settings['require_disjoint']:
        raise ValueError(f'{text}, but {SETTINGS_KEY}.require_disjoint=True: the unpaired '
                         'protocol needs disjoint parts (the same part_split, parts A and B)')
    print_log(f'{text} (paired use of the bank)', logger='current', level=20)


def build_teacher_bank(cfg: Mapping, loss: UnpairedFDLoss, teacher_ckpt: Optional[str] = None,
                       device: str = 'cpu', progress: bool = True,
                       student_dataset=None) -> dict:
    """Run the teacher over ``teacher_dataloader`` and summarise it for ``loss``.

    Args:
        cfg: The unpaired config (``teacher_bank``, ``teacher_dataloader``).
        loss: The loss the bank is for (band layout, τ, classes, ignore index).
        teacher_ckpt: Overrides ``teacher_bank.teacher_ckpt``.
        device: Where the teacher runs.
        progress: Show a progress bar.
        student_dataset: The student's training dataset, if already built (see
            :func:`student_overlap`); ``None`` builds it from ``cfg``.

    Returns:
        The bank state (``format``, ``version``, ``manifest``, ``tensors``).
    """
    started = time.time()
    settings = bank_settings(cfg)
    checkpoint_path = teacher_ckpt or settings['teacher_ckpt']
    if not osp.isfile(checkpoint_path):
        raise FileNotFoundError(f'{SETTINGS_KEY}.teacher_ckpt {checkpoint_path!r} does not exist: '
                                'train the teacher first (its Uni config on part A)')
    teacher = build_network(
        settings['teacher'], checkpoint_path, device,
        TeacherCheck(settings['teacher_input'], settings['allow_teacher_mismatch'],
                     f'{SETTINGS_KEY}.allow_teacher_mismatch=True'))
    loader = ordered_loader(cfg[LOADER_KEY])
    # Before the teacher runs: a protocol error should not cost a pass over the data.
    overlap = student_overlap(cfg, loader.dataset, student_dataset)
    _check_disjoint(overlap, settings)
    identity = bank_identity(cfg, settings, checkpoint_path)
    accumulator = None
    for batch in record(teacher, settings['recorders'], loader,
                        input_key=settings['teacher_input'],
                        progress='teacher bank' if progress else None):
        feat, logits = batch.tensors['feat'].float(), batch.tensors['logits'].float()
        samples = batch.data_samples
        if accumulator is None:
            keep = settings['keep_samples']
            if keep is True and feat.dim() != 2:
                raise ValueError(f'{SETTINGS_KEY}.keep_samples=True, but the teacher feature '
                                 f'is a dense map {tuple(feat.shape)}: dense banks keep the '
                                 'statistics only')
            accumulator = BankAccumulator(
                loss.num_classes, len(loss.bands), loss.in_channels, loss.ignore_index,
                keep_samples=feat.dim() == 2 and keep in ('auto', True))
        accumulator.add(loss.standardized_bands(feat), gather_labels(samples),
                        torch.softmax(logits / loss.temperature, dim=1), feat,
                        [sample_key(s.metainfo) for s in samples]
                        if accumulator.keep_samples else None)
    if accumulator is None:
        raise ValueError(f'{LOADER_KEY} yielded no batch')
    classes = loader.dataset.metainfo.get('classes')
    tensors = accumulator.finalize(settings['allow_missing_classes'], classes)
    classifier = teacher_classifier(teacher, settings['classifier'], settings['recorders'],
                                    loss.num_classes, loss.in_channels)
    manifest = dict(
        loss.bank_layout(), layout=accumulator.layout, ignore_index=loss.ignore_index,
        teacher=identity, dataset=dataset_identity(loader.dataset),
        num_samples=accumulator.num_samples, student_overlap=overlap,
        classes=list(classes) if classes is not None else None,
        created=datetime.datetime.now().isoformat(timespec='seconds'),
        build_seconds=round(time.time() - started, 3))
    if classifier is not None:  # label alignment's teacher head (UnpairedCMKDLoss)
        tensors.update(classifier[0])
        manifest['classifier'] = classifier[1]
    return dict(format=BANK_FORMAT, version=BANK_VERSION, manifest=manifest, tensors=tensors)


def verify_bank_source(manifest: Mapping, cfg: Mapping, source: str) -> list[str]:
    """Check a bank already held (from a checkpoint or ``bank_file``) against the config's
    teacher and teacher data.

    Args:
        manifest: The bank's manifest.
        cfg: The config (``teacher_bank``, ``teacher_dataloader``).
        source: Where the bank came from, for messages.

    Returns:
        What was verified (for the log).

    Raises:
        BankMismatchError: The bank comes from another teacher (checkpoint, network, input,
            recorders or input transforms, each named).
        ValueError: It was built on other teacher data.
    """
    settings = bank_settings(cfg)
    verified = []
    checkpoint = settings['teacher_ckpt']
    if osp.isfile(checkpoint):
        problems = identity_differences(manifest['teacher'],
                                        bank_identity(cfg, settings, checkpoint), 'the bank')
        if problems:
            listed = '\n  - '.join(problems)
            raise BankMismatchError(f'teacher bank {source} was built from another teacher:\n'
                                    f'  - {listed}\nBuild the bank again from this teacher '
                                    '(tools/build_teacher_bank.py CONFIG --out BANK).')
        verified.append('teacher')
    else:
        print_log(f'{source}: the teacher checkpoint {checkpoint} is not there; the bank\'s '
                  'teacher cannot be verified', logger='current', level=30)
    from fdkd_mm.registry import DATASETS
    dataset = DATASETS.build(copy.deepcopy(cfg[LOADER_KEY]['dataset']))
    identity = dataset_identity(dataset)
    if identity != manifest.get('dataset'):
        raise ValueError(f'{source} was built on other teacher data: {manifest.get("dataset")} '
                         f'but {LOADER_KEY} is {identity}. Build the bank again for this data.')
    verified.append('teacher data')
    return verified
