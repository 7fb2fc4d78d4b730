"""Config loading shared by the command-line tools."""
import os.path as osp
from typing import Optional

from mmengine.config import Config


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
    cfg = Config.fromfile(config_path)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])
    return cfg


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
