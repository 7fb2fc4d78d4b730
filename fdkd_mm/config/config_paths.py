"""The files a config names, checked before anything is built.

A missing teacher checkpoint used to surface after the datasets were built and the pre-training
validation had run (~50 s, under the config dump and a traceback); an empty split file as
``need at least one array to concatenate`` from MMEngine. Each check here names the config key
and the file.
"""
import os.path as osp
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any, Optional

from fdkd_mm.errors import BankError, CacheError, CheckpointError, DataError, TeacherError

#: Dataloaders a tool builds, by the split names tools use.
LOADERS = dict(train='train_dataloader', val='val_dataloader', test='test_dataloader',
               teacher='teacher_dataloader')


def is_local(path: Any) -> bool:
    """A local path (not ``http://``, ``open-mmlab://``, ``s3://`` ...)."""
    return isinstance(path, str) and bool(path) and '://' not in path


def check_checkpoint_file(path: str, key: str, error: type = CheckpointError) -> None:
    """The checkpoint exists, is a non-empty file and, when it is a zip (torch's format), its
    archive is complete (a truncated copy fails here, not after the runner is built).

    Args:
        path: The checkpoint path.
        key: The config key (or option) that names it.
        error: The error class to raise (``TeacherError`` for a teacher's checkpoint).

    Raises:
        CheckpointError: (or ``error``) Missing, a folder, empty, or a broken zip archive.
    """
    if not osp.exists(path):
        hint = (f'; train the teacher first, or give its checkpoint with --cfg-options '
                f'{key}=PATH' if error is TeacherError and '.' in key else '')
        raise error(f'{key}: checkpoint {path!r} does not exist{hint}')
    if not osp.isfile(path):
        raise error(f'{key}: checkpoint {path!r} is a folder, not a file')
    if osp.getsize(path) == 0:
        raise error(f'{key}: checkpoint {path!r} is empty (0 bytes)')
    with open(path, 'rb') as f:
        magic = f.read(4)
    if magic[:2] != b'PK':
        return  # torch's legacy (non-zip) format: left to the loader
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as broken:
        raise error(f'{key}: checkpoint {path} cannot be read: it is truncated or not a torch '
                    f'checkpoint ({type(broken).__name__}: {broken})') from None
    if bad is not None:
        raise error(f'{key}: checkpoint {path} is damaged (entry {bad} fails its CRC check)')


def dataset_configs(loader: Mapping, path: str) -> Iterator[tuple[str, Mapping]]:
    """The datasets of a dataloader config, below wrappers (``dataset=``, ``datasets=[...]``).

    Args:
        loader: A dataloader config.
        path: Its config key (``train_dataloader``).

    Yields:
        ``(config key, dataset config)`` of every leaf dataset.
    """
    stack = [(f'{path}.dataset', loader.get('dataset'))]
    while stack:
        key, dataset = stack.pop()
        if not isinstance(dataset, Mapping):
            continue
        if isinstance(dataset.get('dataset'), Mapping):
            stack.append((f'{key}.dataset', dataset['dataset']))
        elif isinstance(dataset.get('datasets'), (list, tuple)):
            stack.extend((f'{key}.datasets.{i}', d) for i, d in enumerate(dataset['datasets']))
        else:
            yield key, dataset


def split_file_of(dataset: Mapping) -> Any:
    """The split file a dataset config reads: its ``ann_file``, else what the dataset class
    derives from its other keys (``config_ann_file``, e.g. NYU's ``<split>.txt``).

    Args:
        dataset: The dataset's config.

    Returns:
        The path (relative to ``data_root`` unless absolute), or None when unknown.
    """
    if dataset.get('ann_file'):
        return dataset['ann_file']
    try:
        from mmengine.registry import DATASETS
        cls = DATASETS.get(dataset.get('type'))
    except Exception:  # an unknown type is the registry check's to report
        return None
    derive = getattr(cls, 'config_ann_file', None)
    return derive(dict(dataset)) if derive is not None else None


def _has_rows(path: str) -> bool:
    """Whether a text file holds at least one non-blank line."""
    with open(path, 'rb') as f:
        return any(line.strip() for line in f)


def check_dataset_files(key: str, dataset: Mapping) -> None:
    """The dataset's ``data_root`` is a folder and its ``ann_file`` a non-empty file.

    Args:
        key: The dataset's config key.
        dataset: Its config.

    Raises:
        DataError: Naming the key and the path.
    """
    if dataset.get('backend_args') is not None:
        return  # not the local disk
    root = dataset.get('data_root')
    if is_local(root) and not osp.isdir(root):
        raise DataError(f'{key}.data_root: data root {root!r} does not exist'
                        + (' (it is a file)' if osp.isfile(root) else '')
                        + '; see docs/data_preparation.md, or set it with --cfg-options '
                        f'{key}.data_root=PATH')
    ann = split_file_of(dataset)
    if not is_local(ann):
        return
    full = ann if osp.isabs(ann) or not is_local(root) else osp.join(root, ann)
    if not osp.isfile(full):
        raise DataError(f'{key}.ann_file: split file {full!r} does not exist')
    if not _has_rows(full):
        raise DataError(f'{key}.ann_file: split file {full} is empty (no sample rows)')


def teacher_checkpoints(cfg: Mapping, tool: str = 'train') -> Iterator[tuple[str, Any]]:
    """The teacher checkpoints a tool loads: the distiller's (train, cache) and the teacher
    bank's (train, bank); a test loads every weight from its checkpoint instead.

    Args:
        cfg: The config.
        tool: ``'train'``, ``'test'``, ``'cache'`` or ``'bank'``.

    Yields:
        ``(config key, path)``.
    """
    model = cfg.get('model') or {}
    if tool in ('train', 'cache') and isinstance(model, Mapping) and model.get('teacher_ckpt'):
        yield 'model.teacher_ckpt', model['teacher_ckpt']
    bank = cfg.get('teacher_bank')
    if tool in ('train', 'bank') and isinstance(bank, Mapping) and bank.get('teacher_ckpt'):
        yield 'teacher_bank.teacher_ckpt', bank['teacher_ckpt']


def check_config_paths(cfg: Mapping, splits: tuple = ('train', 'val'),
                       teachers: Optional[list] = None) -> None:
    """Every file the run will read exists (and is not empty), checked from the config alone.

    Args:
        cfg: The config, overrides applied.
        splits: Dataloaders the tool builds (keys of :data:`LOADERS`).
        teachers: ``(key, path)`` of the teacher checkpoints to check (default: those
            :func:`teacher_checkpoints` lists for training).

    Raises:
        TeacherError: A teacher checkpoint is missing or broken.
        CheckpointError: ``load_from`` is missing or broken.
        CacheError: ``model.teacher_cache.path`` does not exist.
        BankError: A loss's ``bank_file`` does not exist.
        DataError: A data root or split file is missing, or a split file is empty.
    """
    for key, path in (teacher_checkpoints(cfg) if teachers is None else teachers):
        if is_local(path):
            check_checkpoint_file(path, key, TeacherError)
    if is_local(cfg.get('load_from')):
        check_checkpoint_file(cfg['load_from'], 'load_from')
    model = cfg.get('model') if isinstance(cfg.get('model'), Mapping) else {}
    cache = model.get('teacher_cache')
    cache_path = cache.get('path') if isinstance(cache, Mapping) else cache
    if is_local(cache_path) and not osp.exists(cache_path):
        raise CacheError(f'model.teacher_cache.path: teacher cache {cache_path!r} does not '
                         'exist (write it with tools/cache_teacher.py)')
    for name, loss in (model.get('distill_losses') or {}).items():
        bank = loss.get('bank_file') if isinstance(loss, Mapping) else None
        if is_local(bank) and not osp.isfile(bank):
            raise BankError(f'model.distill_losses.{name}.bank_file: teacher bank {bank!r} does '
                            'not exist (write it with tools/build_teacher_bank.py)')
    for split in splits:
        loader = cfg.get(LOADERS[split])
        if not isinstance(loader, Mapping):
            continue
        for key, dataset in dataset_configs(loader, LOADERS[split]):
            check_dataset_files(key, dataset)


def needed_splits(cfg: Mapping, tool: str) -> tuple:
    """The dataloaders a tool builds from this config.

    Args:
        cfg: The config.
        tool: ``'train'``, ``'test'``, ``'cache'`` (the training set) or ``'bank'``.

    Returns:
        Keys of :data:`LOADERS`.
    """
    if tool == 'test':
        return ('test', )
    if tool == 'bank':
        return ('teacher', )
    if tool == 'cache':
        return ('train', )
    splits = ['train']
    if cfg.get('val_cfg') is not None:
        splits.append('val')
    if cfg.get('teacher_bank') is not None:
        splits.append('teacher')
    return tuple(splits)

