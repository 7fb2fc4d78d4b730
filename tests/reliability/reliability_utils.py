"""Helpers of the reliability tests: tools/train.py subprocesses and checkpoint comparison."""
import os
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
FD_CONFIG = 'configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py'


def fd_options(data_root: Path, epochs: int, ckpt_every: int = 1, extra=()) -> list:
    """``--cfg-options`` for a tiny CPU FD run: the demo's 64x80 overrides, a random teacher,
    a checkpoint every ``ckpt_every`` epochs, no validation (8 samples, batch 4: 2 iterations
    per epoch).

    Checkpoints are epoch-based because the config's loop is: MMEngine's
    ``EpochBasedTrainLoop`` resumes a mid-epoch (``by_epoch=False``) checkpoint by re-running
    the whole epoch, so it could never continue exactly."""
    from fdkd_mm.testing.overrides import nyu_cpu_overrides
    options = nyu_cpu_overrides(str(data_root), epochs, ['model.student', 'model.teacher'])
    options += [
        'model.teacher_ckpt=None',
        'train_cfg.val_interval=1000',  # no validation: the tests compare training state
        'default_hooks.checkpoint.by_epoch=True',
        f'default_hooks.checkpoint.interval={ckpt_every}',
        'default_hooks.checkpoint.save_best=None',
        'default_hooks.checkpoint.max_keep_ckpts=-1',
        'log_processor.by_epoch=False',
        'default_hooks.logger.interval=1',
        *extra,
    ]
    return options


def subprocess_env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONWARNINGS='ignore')
    return env


def train_cmd(work_dir: Path, options: list, resume=None) -> list:
    cmd = [sys.executable, 'tools/train.py', FD_CONFIG, '--work-dir', str(work_dir)]
    if resume is not None:
        cmd += ['--resume'] + ([] if resume == 'auto' else [str(resume)])
    return cmd + ['--cfg-options', *options]


def run_train(work_dir: Path, options: list, resume=None, timeout: int = 300) -> None:
    """Run tools/train.py in a subprocess (single thread: a deterministic CPU run)."""
    result = subprocess.run(train_cmd(work_dir, options, resume), cwd=REPO, env=subprocess_env(),
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]


def load_ckpt(path) -> dict:
    """Load a checkpoint the way the project does (safe unpickler, MMEngine's types allowed):
    every reliability test that reads a checkpoint checks the allow-list on it too."""
    from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
    return load_checkpoint_file(path, map_location='cpu')


def assert_same_tensors(first: dict, second: dict, what: str) -> None:
    assert first.keys() == second.keys(), what
    for key in first:
        a, b = first[key], second[key]
        if isinstance(a, dict):
            assert_same_tensors(a, b, f'{what}.{key}')
        elif isinstance(a, (list, tuple)):
            assert len(a) == len(b), f'{what}.{key}'
            for i, (x, y) in enumerate(zip(a, b)):
                if isinstance(x, dict):
                    assert_same_tensors(x, y, f'{what}.{key}[{i}]')
                else:
                    assert x == y or torch.equal(torch.as_tensor(x), torch.as_tensor(y)), \
                        f'{what}.{key}[{i}]'
        elif isinstance(a, torch.Tensor):
            assert torch.equal(a, b), f'{what}.{key} differs (max abs diff ' \
                f'{(a.double() - b.double()).abs().max().item():.3g})'
        else:
            assert a == b, f'{what}.{key}: {a!r} != {b!r}'
