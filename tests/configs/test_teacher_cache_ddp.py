"""Two CPU ranks (gloo, tools/dist_train.sh) reading a teacher cache train as with the teacher.

Each rank reads the cached rows of its own samples (their ``sample_idx``): a rank reading
another rank's rows, or rows in another order, would pull its student towards other targets
and the averaged gradients, hence the weights, would differ from the live 2-rank run's.
"""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cache_runs import make_pair
from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file

REPO = Path(__file__).resolve().parents[2]
ITERS = 4  # 12 CREMA-D clips, 2 ranks x batch 2: 3 iterations per epoch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def dist_train(config: Path, work_dir: Path, options: list) -> None:
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), PYTHONPATH=str(REPO),
               OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(work_dir),
         '--cfg-options', 'env_cfg.dist_cfg.backend=gloo', *options],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]


@pytest.mark.timeout(600)
def test_two_ranks_with_the_cache_train_as_with_the_teacher(data_roots, tokenizer_dir,
                                                            tmp_path):
    from fdkd_mm.testing import write_synthetic_cremad
    write_synthetic_cremad(str(tmp_path / 'cremad'), clips_per_class=(2, 1))
    pair = make_pair('configs/kd/kd_r18-audio_r18-visual_cremad.py',
                     dict(data_roots, CremaDDataset=str(tmp_path / 'cremad')), tokenizer_dir,
                     tmp_path)
    cfg = pair.cfg('dist', cached=False, iters=ITERS)
    cfg.default_hooks.checkpoint = dict(type='fdkd_mm.AtomicCheckpointHook', by_epoch=False,
                                        interval=ITERS, save_best=None)
    config = tmp_path / 'kd_tiny.py'
    cfg.dump(str(config))
    weights = {}
    runs = (('live', []), ('cached', [f'model.teacher_cache.path={pair.cache_root}']))
    for name, options in runs:
        work_dir = tmp_path / name
        dist_train(config, work_dir, options)
        state = load_checkpoint_file(str(work_dir / f'iter_{ITERS}.pth'))['state_dict']
        weights[name] = {k: v for k, v in state.items() if not k.startswith('teacher.')}
        log = next(work_dir.glob('*/*.log')).read_text()
        assert ('teacher outputs read from the cache' in log) == (name == 'cached')
    assert weights['live'].keys() == weights['cached'].keys()
    for key in weights['live']:
        assert torch.equal(weights['live'][key], weights['cached'][key]), key
