"""Config loading shared by the command-line tools."""
import difflib
import logging
import os
import os.path as osp
from typing import Optional, Union

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import find_latest_checkpoint

from fdkd_mm.engine.hooks.atomic_checkpoint_hook import last_checkpoint_pointer
from fdkd_mm.errors import MissingConfigError


def load_run_config(config_path: str, launcher: str = 'none',
                    cfg_options: Optional[dict] = None,
                    work_dir: Optional[str] = None) -> Config:
    """Load a config and apply the overrides every tool accepts.

    Args:
        config_path: Path of the config file.
        launcher: Job launcher (``none``, ``pytorch``, ``slurm``, ``mpi``).
        cfg_options: ``--cfg-options`` overrides, merged into the config.
        work_dir: ``--work-dir``; without it the config's own, else
            ``work_dirs/<config name>``.

    Returns:
        The config, ready for ``Runner.from_cfg``.
    """
    check_config_file(config_path)
    cfg = Config.fromfile(config_path)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])
    return cfg


def check_config_file(config_path: str) -> None:
    """The config file exists; otherwise name the closest config of its folder.

    Args:
        config_path: The path as given on the command line.

    Raises:
        MissingConfigError: Naming the path and, when there is one, the closest file name.
    """
    if osp.isfile(config_path):
        return
    folder = osp.dirname(config_path) or '.'
    names = sorted(n for n in os.listdir(folder) if n.endswith('.py')) \
        if osp.isdir(folder) else []
    match = difflib.get_close_matches(osp.basename(config_path), names, n=1, cutoff=0.6)
    hint = f'; did you mean {osp.join(folder, match[0])}?' if match else ''
    raise MissingConfigError(f'config file {config_path} does not exist{hint}')


def resolve_resume(resume: Union[None, bool, str], work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from, or ``None`` for MMEngine's fall-through.

    * ``--resume`` alone (``True``): the checkpoint the work dir's ``last_checkpoint`` names;
      an error when there is none (a mistyped ``--work-dir`` must not train from scratch).
    * ``--resume auto``: the same if there is one; otherwise training starts from scratch,
      with a warning in the log (MMEngine's behaviour).
    * ``--resume PATH``: that checkpoint, which must exist.

    Args:
        resume: The ``--resume`` value (``None`` when the option is absent).
        work_dir: The run's work dir.

    Returns:
        The checkpoint path; ``None`` for ``auto`` without a checkpoint (or no ``--resume``).

    Raises:
        FileNotFoundError: Nothing to resume from, naming the work dir or the path.
    """
    if resume is None:
        return None
    if resume not in (True, 'auto'):
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume {resume}: no such checkpoint')
        return resume
    path = find_latest_checkpoint(work_dir)
    if path is None:
        if resume == 'auto':
            print_log(f'--resume auto: {work_dir} has no last_checkpoint, so training starts '
                      'FROM SCRATCH', logger='current', level=logging.WARNING)
            return None
        raise FileNotFoundError(
            f'--resume: nothing to resume from in {work_dir} (no last_checkpoint there). Check '
            '--work-dir, give a checkpoint (--resume PATH), or use --resume auto to start from '
            'scratch when there is none.')
    if not osp.isfile(path):
        raise FileNotFoundError(f'--resume: {last_checkpoint_pointer(work_dir)} names {path!r}, '
                                'which does not exist')
    return path


def enable_show_dir(cfg: Config, show_dir: str) -> Config:
    """Draw every test prediction into ``show_dir`` (``tools/test.py --show-dir``).

    Turns on ``default_hooks.visualization`` (``TaskVisualizationHook`` in the runtime base)
    as mmseg's and mmpretrain's ``tools/test.py`` do: segmentation overlays go through the
    visualizer's save dir (``<show_dir>/vis_data/vis_image/``), classification drawings to
    ``out_dir``.

    Args:
        cfg: The run's config.
        show_dir: Folder for the drawings.

    Returns:
        ``cfg``, changed in place.

    Raises:
        KeyError: The config has no visualization hook or no visualizer.
    """
    hook = (cfg.get('default_hooks') or {}).get('visualization')
    if hook is None or cfg.get('visualizer') is None:
        raise KeyError('--show-dir needs default_hooks.visualization (e.g. '
                       "dict(type='fdkd_mm.TaskVisualizationHook')) and a visualizer (the "
                       'dataset bases set one); this config lacks '
                       + ('the hook' if hook is None else 'the visualizer'))
    hook.update(draw=True, interval=1)
    if str(hook.get('type', '')).rsplit('.', 1)[-1] == 'TaskVisualizationHook':
        hook['out_dir'] = show_dir
    cfg.visualizer['save_dir'] = show_dir
    return cfg


def add_tensorboard(cfg: Config) -> Config:
    """Also log to TensorBoard (``tools/train.py --tensorboard``), loss terms grouped.

    Appends ``fdkd_mm.GroupedTensorboardVisBackend`` to the visualizer's backends; the event
    files go to ``<work_dir>/<timestamp>/vis_data/`` beside ``scalars.json``
    (``tensorboard --logdir work_dirs``).

    Args:
        cfg: The run's config.

    Returns:
        ``cfg``, changed in place.
    """
    if cfg.get('visualizer') is None:
        cfg.visualizer = dict(type='Visualizer', name='visualizer',
                              vis_backends=[dict(type='LocalVisBackend')])
    backends = list(cfg.visualizer.get('vis_backends') or [])
    if not any(str(b.get('type', '')).endswith('TensorboardVisBackend') for b in backends):
        backends.append(dict(type='fdkd_mm.GroupedTensorboardVisBackend'))
    cfg.visualizer.vis_backends = backends
    return cfg
