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
