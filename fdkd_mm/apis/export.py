"""Turn a distiller checkpoint into a deployable student: its weights and its own config.

:func:`export_student` writes ``<out>.pth`` (the student's state dict and a meta that
``torch.load(weights_only=True)`` reads, so loading needs neither fdkd_mm nor trust in pickles)
and ``<out>.py`` (see :mod:`fdkd_mm.apis.student_config`). Both are written under temporary
names, verified (the weights load with ``weights_only=True`` and strictly into the model built
from the written config), and only then renamed: a failed export leaves nothing behind.

The distiller checkpoint is read as any checkpoint is (``load_checkpoint_file``: no code from
the file runs), and its config, without ``--config``, from the data the checkpoint stores
(``meta['cfg_dict']``, see :mod:`fdkd_mm.checkpoint.config_data`), never from its text.
"""
import os
import os.path as osp
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import torch
from mmengine.config import Config

from fdkd_mm.checkpoint.atomic import default_file_mode
from fdkd_mm.errors import ExportArgumentError, MissingCheckpointError
from fdkd_mm.checkpoint.config_data import CONFIG_DATA_KEY, config_from_meta, config_to_data
from fdkd_mm.checkpoint.metadata import EXPORTED_ROLE_KEY
from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file


def student_state_dict(state_dict: dict, prefix: str = 'student.') -> OrderedDict:
    """Keep the entries under ``prefix`` with the prefix stripped.

    Args:
        state_dict: State dict of a distiller (keys ``student.*``, ``teacher.*``, heads...).
        prefix: Prefix of the student's entries.

    Returns:
        The student's state dict, loadable by a model built from the student's config.

    Raises:
        KeyError: If no key starts with ``prefix``.
    """
    student = OrderedDict((key[len(prefix):], value) for key, value in state_dict.items()
                          if key.startswith(prefix))
    if not student:
        sample = ', '.join(list(state_dict)[:5])
        raise KeyError(f'no state-dict key starts with {prefix!r} (first keys: {sample}); '
                       'is this a distiller checkpoint?')
    return student


def plain_meta(value: Any) -> Any:
    """``value`` in the types ``torch.load(weights_only=True)`` accepts (numpy → lists).

    Args:
        value: A checkpoint's meta (or part of it).

    Returns:
        The same data as dicts, lists, tuples, str, numbers, bools, None and tensors; paths
        become strings, other objects their ``repr``.
    """
    if isinstance(value, dict):
        return {str(key): plain_meta(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain_meta(item) for item in value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool, torch.Tensor)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return repr(value)


def dataset_meta_of(checkpoint_meta: dict, cfg: Config) -> dict:
    """Class names (and palette): the checkpoint's ``dataset_meta``, else the dataset's.

    MMEngine's Runner stores the training set's metainfo in every checkpoint; a checkpoint
    without it falls back to the test dataset type's ``METAINFO`` and the config's
    ``metainfo``.

    Raises:
        ValueError: No class names anywhere.
    """
    meta = dict(checkpoint_meta.get('dataset_meta') or {})
    if not meta.get('classes'):
        from fdkd_mm.registry import DATASETS
        loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
        dataset = loader.get('dataset') or {}
        dataset_cls = DATASETS.get(str(dataset.get('type', '')))
        meta = dict(getattr(dataset_cls, 'METAINFO', {}) or {})
        meta.update(dataset.get('metainfo') or {})
    if not meta.get('classes'):
        raise ExportArgumentError('no class names: the checkpoint\'s meta has no dataset_meta '
                                  'and the config\'s test dataset names none '
                                  '(metainfo=dict(classes=...))')
    return plain_meta(meta)


@dataclass
class ExportResult:
    """What :func:`export_student` wrote.

    Attributes:
        checkpoint: Path of the student's weights.
        config: Path of its deploy config.
        kind: ``'mmseg'``, ``'mmpretrain'`` (plain toolbox config) or ``'fdkd_mm'``.
        num_tensors: Entries of the student's state dict.
    """
    checkpoint: str
    config: str
    kind: str
    num_tensors: int


def role_of(prefix: str) -> str:
    """The distiller attribute a state-dict prefix names: ``'student.'`` → ``'student'``."""
    role = prefix.rstrip('.').rsplit('.', 1)[-1]
    if role not in ('student', 'teacher'):
        raise ExportArgumentError(f'prefix {prefix!r} names neither the student nor the '
                                  "teacher (e.g. 'student.' or 'teacher.')")
    return role


def deploy_config_path(out_path: str) -> str:
    """``work_dirs/student.pth`` → ``work_dirs/student.py``."""
    return osp.splitext(out_path)[0] + '.py'


def _same_file(a: str, b: str) -> bool:
    return osp.realpath(a) == osp.realpath(b)


def _check_paths(checkpoint_path: str, out_path: str, config_path: Optional[str]) -> str:
    if not osp.isfile(checkpoint_path):
        raise MissingCheckpointError(f'checkpoint {checkpoint_path!r} does not exist')
    if osp.splitext(out_path)[1] != '.pth':
        raise ExportArgumentError(f'output {out_path!r} must end with .pth (its config is '
                                  'written beside it with .py)')
    cfg_out = deploy_config_path(out_path)
    for path, what in ((out_path, 'output'), (cfg_out, 'output config')):
        for source, name in ((checkpoint_path, 'the input checkpoint'),
                             (config_path, 'the input config')):
            if source and _same_file(path, source):
                raise ExportArgumentError(f'the {what} {path!r} is {name}: write the student '
                                          'elsewhere')
    return cfg_out


def _load_config(config_path: Optional[str], meta: dict, checkpoint_path: str) -> Config:
    if config_path is not None:
        return Config.fromfile(config_path)
    return config_from_meta(meta, checkpoint_path, 'Pass the distiller config with --config '
                            '(config_path=...).')


def verify_export(checkpoint_path: str, config_path: str, kind: str) -> int:
    """Load the written files as a user would and fail loudly if anything is off.

    The weights are read with ``torch.load(weights_only=True)`` and loaded strictly into the
    model built from the written config, in the config's own scope.

    Returns:
        The number of tensors loaded.
    """
    from mmengine.registry import MODELS, DefaultScope
    checkpoint = torch.load(checkpoint_path, map_location='cpu', weights_only=True)
    cfg = Config.fromfile(config_path)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'fdkd_mm')):
        model = MODELS.build(cfg.model)
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    return len(checkpoint['state_dict'])


def _temp_path(directory: str, name: str, suffix: str) -> str:
    handle, path = tempfile.mkstemp(prefix=f'.{name}.', suffix=f'.tmp{suffix}', dir=directory)
    os.close(handle)
    # mkstemp's 0600 would survive the rename: give the file the mode the umask gives any file.
    os.chmod(path, default_file_mode())
    return path


def export_student(checkpoint_path: str, out_path: str, config_path: Optional[str] = None,
                   prefix: str = 'student.') -> ExportResult:
    """Write the student of a distiller checkpoint with its deploy config, verified.

    The meta (epoch, iteration, dataset meta, ...) is kept in plain types, with the deploy
    config as data in ``meta['cfg_dict']`` (what :class:`~fdkd_mm.apis.StudentInferencer`
    reads when given no config) and as text in ``meta['cfg']`` (for humans), and the
    distiller's config text as ``meta['distiller_cfg']``; optimizer and scheduler states are
    dropped since they refer to the distiller's parameters.

    Args:
        checkpoint_path: Distiller checkpoint saved by MMEngine's ``CheckpointHook``; read with
            the safe loader (objects other than MMEngine's are refused, never unpickled).
        out_path: Where to write the student's weights (``.pth``); the config goes beside it
            with ``.py``.
        config_path: The distiller's config; defaults to the one the checkpoint stores as data
            (``meta['cfg_dict']``, written by ``CheckpointMetaHook``). A checkpoint that holds
            its config only as text needs ``config_path``: text is never executed.
        prefix: Prefix of the exported network's entries in the distiller's state dict:
            ``'student.'``, or ``'teacher.'`` for a jointly trained teacher (DML, C2KD).

    Returns:
        What was written.

    Raises:
        ValueError: The output would overwrite the input checkpoint or config, does not end
            with ``.pth``, the prefix names neither network, or no config is available.
        UnsafeCheckpointError: The checkpoint holds objects outside MMEngine's types.
        UnsafeConfigError: The stored config names unregistered types or scopes.
        TypeError: The config is not plain data (names the entry).
        KeyError: No state-dict entry starts with ``prefix``.
        RuntimeError: The weights do not load strictly into the config's model (nothing is
            written then).
    """
    role = role_of(prefix)
    cfg_out = _check_paths(checkpoint_path, out_path, config_path)
    checkpoint = load_checkpoint_file(checkpoint_path, map_location='cpu')
    state_dict = student_state_dict(checkpoint.get('state_dict', checkpoint), prefix)
    meta = dict(checkpoint.get('meta') or {})
    cfg = _load_config(config_path, meta, checkpoint_path)

    from fdkd_mm.apis.student_config import deploy_config
    dataset_meta = dataset_meta_of(meta, cfg)
    deploy_cfg, kind = deploy_config(cfg, dataset_meta, role)
    meta.update({EXPORTED_ROLE_KEY: role, 'distiller_cfg': cfg.pretty_text,
                 'cfg': deploy_cfg.pretty_text,
                 CONFIG_DATA_KEY: config_to_data(deploy_cfg), 'dataset_meta': dataset_meta})
    exported = dict(meta=plain_meta(meta), state_dict=state_dict)

    directory = osp.dirname(osp.abspath(out_path))
    os.makedirs(directory, exist_ok=True)
    name = osp.splitext(osp.basename(out_path))[0]
    tmp_ckpt = _temp_path(directory, name, '.pth')
    tmp_cfg = _temp_path(directory, name, '.py')
    try:
        torch.save(exported, tmp_ckpt)
        deploy_cfg.dump(tmp_cfg)
        num_tensors = verify_export(tmp_ckpt, tmp_cfg, kind)
        # The config first: a complete <out>.pth always has its config beside it.
        os.replace(tmp_cfg, cfg_out)
        os.replace(tmp_ckpt, out_path)
    finally:
        for path in (tmp_ckpt, tmp_cfg):
            if osp.exists(path):
                os.remove(path)
    return ExportResult(out_path, cfg_out, kind, num_tensors)
