"""A short NYU FD-CMKD training run on synthetic data, as the demo runs it (``ddp``, ``curve``).

The real config (``configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py``) with only sizes,
schedule and paths changed (no pretrained download, a random depth teacher saved once), dumped
to a file that ``tools/train.py`` trains from. The changes are made on MMEngine's ``Config``
here, with no project helper, so this keeps working while the project's modules move.
"""
import json
import math
import os
import os.path as osp
import signal
import subprocess
import time
from typing import Optional

from common import REPO

FD_CONFIG = 'configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py'


def write_data(root: str, num_train: int, num_test: int, size: tuple[int, int]) -> str:
    """Synthetic NYU-Depth V2 in its real layout (the demo's writer); returns the root."""
    from fdkd_mm.testing import write_synthetic_nyu
    return str(write_synthetic_nyu(root, num_train=num_train, num_test=num_test,
                                   height=size[0], width=size[1]))


def _pipeline_dataset(loader: dict) -> dict:
    """The dataset config that holds the pipeline, below dataset wrappers."""
    dataset = loader['dataset']
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset


def small_config(data_root: str, work_dir: str, crop: tuple[int, int], batch_size: int,
                 epochs: int, workers: int, seed: int = 0, log_interval: int = 1,
                 validate: bool = True):
    """The FD config shrunk to a short run on ``data_root``, its random teacher saved.

    Args:
        data_root: A synthetic NYU root (:func:`write_data`).
        work_dir: The run's work dir; the teacher checkpoint is saved in it.
        crop: (h, w) of the random crop and of the preprocessors' padding.
        batch_size: Training batch per process.
        epochs: Epochs (validation and the one checkpoint at the last).
        workers: Dataloader workers.
        seed: ``randomness.seed`` (the teacher's weights use seed 0 always).
        log_interval: Iterations between log records (1: every loss in scalars.json).
        validate: Validate (and checkpoint) after the last epoch; False: neither.

    Returns:
        The ``mmengine.Config``.
    """
    import benchmark_cache
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, FD_CONFIG))
    height, width = crop
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(num_workers=workers, persistent_workers=False)
        dataset = _pipeline_dataset(loader)
        dataset['data_root'] = data_root
        for transform in dataset['pipeline']:
            kind = str(transform['type']).rsplit('.', 1)[-1]
            if kind == 'RandomResize':
                transform['scale'] = (width, height)
            elif kind == 'RandomCrop':
                transform['crop_size'] = (height, width)
    cfg.train_dataloader.batch_size = batch_size
    # An interval past the last epoch: no validation, no checkpoint.
    interval = epochs if validate else epochs + 1
    cfg.train_cfg.update(max_epochs=epochs, val_interval=interval)
    cfg.param_scheduler[0]['end'] = epochs
    cfg.default_hooks.checkpoint.update(interval=interval, save_best=None, save_last=validate)
    cfg.default_hooks.logger.interval = log_interval
    # Each record the mean over the iterations since the previous one (no longer window).
    cfg.log_processor.window_size = log_interval
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = work_dir
    for network in (cfg.model.student, cfg.model.teacher):
        network['pretrained'] = None  # no download: train from scratch
        network['data_preprocessor']['size'] = (height, width)
    os.makedirs(work_dir, exist_ok=True)
    benchmark_cache.save_random_teacher(cfg, osp.join(work_dir, 'random_teacher.pth'))
    return cfg


def dump(cfg, path: str) -> str:
    """Write ``cfg`` as a config file; returns its path."""
    cfg.dump(path)
    return path


def train_scalars(work_dir: str) -> list[dict]:
    """The training records (those with a ``loss``) of MMEngine's ``scalars.json`` files."""
    records = []
    for root, _, files in os.walk(work_dir):
        if 'scalars.json' in files and root.endswith('vis_data'):
            with open(osp.join(root, 'scalars.json')) as f:
                records += [json.loads(line) for line in f if line.strip()]
    return [r for r in records if 'loss' in r]


class Tool:
    """A training command in its own session (stopped with its children at the time limit).

    Args:
        command: The command line (run in the repository).
        log_path: Where its output goes.
        env: Its environment (default ours).
    """

    def __init__(self, command: list[str], log_path: str, env: Optional[dict] = None) -> None:
        self.log_path = log_path
        self.start = time.time()
        with open(log_path, 'w') as log:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, deadline: float) -> dict:
        """Wait until it ends or ``deadline`` (``time.time()``) passes, then stop it.

        Returns:
            ``returncode`` (None when stopped), ``timed_out``, ``wall_s`` and ``log_tail``.
        """
        try:
            returncode, timed_out = self.process.wait(max(deadline - time.time(), 1)), False
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            returncode, timed_out = None, True
        with open(self.log_path, errors='replace') as f:
            tail = f.read()[-2500:]
        return dict(returncode=returncode, timed_out=timed_out,
                    wall_s=round(time.time() - self.start, 1), log_tail=tail)


def epochs_for(iterations: int, num_train: int, batch_size: int) -> int:
    """Epochs covering at least ``iterations`` steps of ``num_train`` samples."""
    return max(1, math.ceil(iterations / max(1, num_train // batch_size)))
