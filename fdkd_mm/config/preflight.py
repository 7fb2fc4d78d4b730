"""Everything checkable from a config, checked before datasets, models or work dirs exist.

The tools call :func:`preflight` right after loading the config and applying the command line;
it raises the project's errors (``ConfigError``, ``DataError``, ``TeacherError`` ...), which the
tools print as one ``error:`` block (``fdkd_mm.tool_errors``), in the time the imports take
rather than after the runner has built the datasets and run a validation.
"""
from collections.abc import Mapping
from typing import Optional

from mmengine.config import Config

from fdkd_mm.config.config_paths import (check_config_paths, needed_splits,
                                         teacher_checkpoints)
from fdkd_mm.config.option_types import check_option_types
from fdkd_mm.config.registry_types import check_registry_types
from fdkd_mm.tool_errors import remember_work_dir


def preflight(cfg: Config, cfg_options: Optional[Mapping] = None, tool: str = 'train',
              paths: bool = True, teacher_ckpt: Optional[str] = None) -> Config:
    """Check a loaded config before the tool builds anything.

    In order: ``--cfg-options`` value types (against the config file before the overrides),
    every registry ``type`` (with its key and the closest registered name), for training a
    distiller's input keys and class counts (``validate_distill_config``), then the files the
    tool will read (teacher checkpoints, ``load_from``, teacher cache, teacher banks, data roots
    and split files of the dataloaders the tool builds). Also records the work dir, which
    Ctrl-C names.

    Args:
        cfg: The config, overrides applied (``cfg.filename`` is its file).
        cfg_options: The ``--cfg-options`` given (None: none).
        tool: Which dataloaders are built: ``'train'`` (train, val, teacher bank),
            ``'test'``, ``'cache'`` (train) or ``'bank'`` (teacher).
        paths: Check the files (off for tools that report them one by one).
        teacher_ckpt: A teacher checkpoint given on the command line, which replaces the
            config's (``tools/build_teacher_bank.py --teacher-ckpt``).

    Returns:
        ``cfg``, unchanged.

    Raises:
        ConfigError, DataError, TeacherError, CheckpointError, CacheError, BankError: The first
            problem found, naming the config key and the file.
    """
    source = getattr(cfg, 'filename', None) or 'the config'
    if cfg_options:
        check_option_types(Config.fromfile(source).to_dict(), cfg_options)
    plain = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
    check_registry_types(plain, source)
    if tool == 'train':
        # Input keys and class counts (the distiller's own config checks) before any file:
        # a config mistake is reported even when the data is not there yet.
        from fdkd_mm.models.distillers.validation import validate_distill_config
        validate_distill_config(cfg)
    if paths:
        teachers = list(teacher_checkpoints(plain, tool))
        if teacher_ckpt is not None:
            teachers = [('--teacher-ckpt', teacher_ckpt)]
        check_config_paths(plain, needed_splits(plain, tool), teachers)
    remember_work_dir(plain.get('work_dir'))
    return cfg
