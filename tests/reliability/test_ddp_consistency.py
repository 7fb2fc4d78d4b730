"""Two CPU processes (gloo) through tools/dist_train.sh agree with each other and with testing.

One 2-rank run of the tiny NYU FD config (3 epochs, 2 iterations per rank each, validation at
the end, save_best) through ``tools/dist_train.sh``, then ``tools/test.py`` (one process) and
``tools/dist_test.sh`` (2 ranks) on its last checkpoint. Test-only hooks (rank_dump_hooks.py)
dump every rank's parameters, buffers and validation/test logits.

* DDP averages gradients: student and head parameters are equal bit for bit on both ranks.
* BatchNorm buffers are each rank's own statistics unless synchronised. ``SyncBuffersHook``
  (before validation) and ``AtomicCheckpointHook(sync_buffers=True)`` (before each checkpoint)
  average them, so both ranks and the checkpoint hold the same buffers, and the distributed
  validation, ``test.py`` and ``dist_test.sh`` compute the same logits and metrics (1e-6).
  Checked with the protection removed (both off): the buffers differ across ranks and rank 1's
  validation logits differ from test.py's on the saved checkpoint.
* The run exits 0 (the process group is destroyed after training; without it 2 of 16 runs
  aborted at exit with ``terminate called without an active exception``) and the best
  checkpoint, selected by mIoU, exists.
"""
import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
import torch

from reliability_utils import FD_CONFIG, REPO, fd_options, load_ckpt, subprocess_env

EPOCHS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def dist_env() -> dict:
    env = subprocess_env()
    env.update(PYTHON=str(Path(os.sys.executable)), PORT=str(free_port()),
               PYTHONPATH=f'{REPO}:{REPO / "tests" / "reliability"}')
    return env


def dumping_config(tmp: Path) -> Path:
    # custom_imports act when a config file is read, so the test hooks come in through a
    # config inheriting the real one.
    config = tmp / 'fd_with_rank_dumps.py'
    config.write_text(
        f"_base_ = ['{REPO / FD_CONFIG}']\n"
        "custom_imports = dict(imports=['fdkd_mm', 'rank_dump_hooks'])\n"
        "custom_hooks = _base_.custom_hooks + [dict(type='DumpRankParametersHook'), "
        "dict(type='DumpPredictionsHook')]\n")
    return config


def run(cmd: list) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=REPO, env=dist_env(), capture_output=True, text=True,
                            timeout=400)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result


@pytest.fixture(scope='module')
def ddp_run(nyu_data, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp('ddp')
    config, work = dumping_config(tmp), tmp / 'work'
    options = fd_options(nyu_data, epochs=EPOCHS, ckpt_every=EPOCHS, extra=[
        'env_cfg.dist_cfg.backend=gloo', 'train_dataloader.batch_size=2',
        f'train_cfg.val_interval={EPOCHS}', "default_hooks.checkpoint.save_best='auto'"])
    train = run(['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(work),
                 '--cfg-options', *options])
    checkpoint = work / f'epoch_{EPOCHS}.pth'
    run([os.sys.executable, 'tools/test.py', str(config),
         str(checkpoint), '--work-dir', str(tmp / 'test'), '--out', str(tmp / 'test.json'),
         '--cfg-options', *options])
    run(['bash', 'tools/dist_test.sh', str(config), str(checkpoint), '2', '--work-dir',
         str(tmp / 'dist_test'), '--out', str(tmp / 'dist_test.json'), '--cfg-options',
         *options])
    return dict(work=work, tmp=tmp, checkpoint=checkpoint, output=train.stdout + train.stderr)


def logits(folder: Path, mode: str, ranks: int) -> dict:
    merged = {}
    for rank in range(ranks):
        merged.update(torch.load(folder / f'{mode}_logits_rank{rank}.pth'))
    return merged


def val_metrics(work: Path) -> dict:
    lines = [json.loads(line) for path in work.glob('*/vis_data/scalars.json')
             for line in path.read_text().splitlines()]
    return [line for line in lines if 'mIoU' in line][-1]


def test_parameters_are_identical_on_both_ranks(ddp_run):
    work = ddp_run['work']
    rank0, rank1 = (torch.load(work / f'rank{r}_params.pth') for r in (0, 1))
    assert rank0.keys() == rank1.keys()
    trained = [k for k in rank0 if k.startswith(('student.', 'losses.loss_fd.'))]
    assert any(k.startswith('losses.loss_fd.shared_heads.') for k in trained)
    assert any(k.startswith('losses.loss_fd.aux_heads.') for k in trained)
    unequal = [k for k in trained if not torch.equal(rank0[k], rank1[k])]
    assert not unequal, f'parameters differ across ranks: {unequal[:5]}'
    checkpoint = load_ckpt(ddp_run['checkpoint'])['state_dict']
    assert all(torch.equal(checkpoint[k], rank1[k]) for k in trained)
    log = '\n'.join(p.read_text() for p in work.glob('*/*.log'))
    # MMEngine's environment block reports the world size as 'GPU number', also on CPU.
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert 'CPU distributed run: gloo, world size 2' in ddp_run['output']


def test_batchnorm_buffers_agree_across_ranks_and_with_the_checkpoint(ddp_run):
    work = ddp_run['work']
    rank0, rank1 = (torch.load(work / f'rank{r}_buffers.pth') for r in (0, 1))
    running = [k for k in rank0 if k.startswith('student.') and k.endswith('running_mean')]
    assert running, 'the student has BatchNorm statistics'
    unequal = [k for k in rank0 if not torch.equal(rank0[k], rank1[k])]
    assert not unequal, f'buffers differ across ranks: {unequal[:5]}'
    checkpoint = load_ckpt(ddp_run['checkpoint'])['state_dict']
    assert all(torch.equal(checkpoint[k], rank0[k]) for k in running)


def test_distributed_validation_test_py_and_dist_test_agree(ddp_run):
    work, tmp = ddp_run['work'], ddp_run['tmp']
    val = logits(work, 'val', 2)
    single = logits(tmp / 'test', 'test', 1)
    distributed = logits(tmp / 'dist_test', 'test', 2)
    assert val.keys() == single.keys() == distributed.keys() and len(val) == 2
    for name in val:
        torch.testing.assert_close(val[name], single[name], rtol=0, atol=1e-6)
        torch.testing.assert_close(distributed[name], single[name], rtol=0, atol=1e-6)
    during_training = val_metrics(work)
    for out in ('test.json', 'dist_test.json'):
        tested = json.loads((tmp / out).read_text())
        for key in ('aAcc', 'mIoU', 'mAcc'):
            assert abs(tested[key] - during_training[key]) <= 1e-6, (out, key)


def test_run_exits_cleanly_with_the_best_checkpoint_by_miou(ddp_run):
    work = ddp_run['work']
    assert [p.name for p in work.glob('best_*.pth')] == [f'best_mIoU_epoch_{EPOCHS}.pth']
    assert "save_best='auto' follows mIoU" in ddp_run['output']
    assert 'terminate called' not in ddp_run['output']
