"""Two CPU processes (gloo) through tools/dist_train.sh end with identical weights.

DDP averages gradients, so every rank applies the same update: student, shared and auxiliary
head parameters must be equal bit for bit on both ranks (BN running statistics are buffers of
each rank's own batches and are not compared). A test-only hook (rank_weights_hook.py) dumps
each rank's parameters; rank 0's are also checked against its checkpoint.
The comparison has teeth: the distributed sampler gives each rank a different half of the
data, so without gradient averaging the ranks' updates would differ (not run separately).
"""
import os
import socket
import subprocess
from pathlib import Path

import torch

from reliability_utils import FD_CONFIG, REPO, fd_options, load_ckpt, subprocess_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_two_gloo_ranks_keep_identical_weights(nyu_data, tmp_path):
    # custom_imports act when a config file is read, so the test hook comes in through a
    # config inheriting the real one.
    config = tmp_path / 'fd_with_rank_dump.py'
    config.write_text(
        f"_base_ = ['{REPO / FD_CONFIG}']\n"
        "custom_imports = dict(imports=['fdkd_mm', 'rank_weights_hook'])\n"
        "custom_hooks = _base_.custom_hooks + [dict(type='DumpRankParametersHook')]\n")
    options = fd_options(nyu_data, epochs=2, ckpt_every=2,
                         extra=['env_cfg.dist_cfg.backend=gloo'])
    env = subprocess_env()
    env.update(PYTHON=str(Path(os.sys.executable)), PORT=str(free_port()),
               PYTHONPATH=f'{REPO}:{REPO / "tests" / "reliability"}')
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(tmp_path / 'work'),
         '--cfg-options', *options],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]

    work = tmp_path / 'work'
    rank0 = torch.load(work / 'rank0_params.pth')
    rank1 = torch.load(work / 'rank1_params.pth')
    assert rank0.keys() == rank1.keys()
    trained = [k for k in rank0 if k.startswith(('student.', 'losses.loss_fd.'))]
    assert any(k.startswith('losses.loss_fd.shared_heads.') for k in trained)
    assert any(k.startswith('losses.loss_fd.aux_heads.') for k in trained)
    unequal = [k for k in trained if not torch.equal(rank0[k], rank1[k])]
    assert not unequal, f'parameters differ across ranks: {unequal[:5]}'
    checkpoint = load_ckpt(work / 'epoch_2.pth')['state_dict']
    assert all(torch.equal(checkpoint[k], rank1[k]) for k in trained)
    log = '\n'.join(p.read_text() for p in work.glob('*/*.log'))
    # MMEngine's environment block reports the world size as 'GPU number', also on CPU.
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert 'CPU distributed run: gloo, world size 2' in result.stdout + result.stderr
