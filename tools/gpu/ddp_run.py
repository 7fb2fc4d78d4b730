"""Section ``ddp``: a 1-process ``torchrun`` DDP run of the NYU demo config must exit 0.

``tools/dist_train.sh CONFIG 1`` (torchrun, ``--launcher pytorch``) trains the NYU FD-CMKD
config for a few dozen iterations on synthetic data and validates once. On CUDA that is
MMEngine's NCCL process group with SyncBN and ``MMDistributedDataParallel``; with ``--cpu``
the project's gloo path (``prepare_cpu_distributed``). Reported: the exit code, iterations
and losses logged, the backend the log names, the validation mIoU and the wall time.
"""
import json
import os
import os.path as osp
import socket

from common import Context, TimeLimit
from nyu_run import Tool, dump, epochs_for, small_config, train_scalars, write_data

SIZES = dict(full=dict(image=(240, 320), crop=(240, 320), num_train=24, batch=4, iters=36,
                       workers=4),
             quick=dict(image=(32, 40), crop=(32, 40), num_train=4, batch=2, iters=2,
                        workers=0))


def free_port() -> int:
    """A TCP port nothing listens on now (torchrun's rendezvous)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run(ctx: Context) -> None:
    """Train through torchrun and record the outcome.

    Args:
        ctx: The section's context; fills ``ctx.result``.
    """
    from mmengine.registry import init_default_scope

    import fdkd_mm  # noqa: F401
    init_default_scope('fdkd_mm')
    size = SIZES['quick' if ctx.quick else 'full']
    data_root = write_data(osp.join(ctx.workdir, 'nyu'), size['num_train'], 2, size['image'])
    work_dir = osp.join(ctx.workdir, 'work')
    epochs = epochs_for(size['iters'], size['num_train'], size['batch'])
    cfg = small_config(data_root, work_dir, size['crop'], size['batch'], epochs,
                       size['workers'], log_interval=max(1, size['iters'] // 6))
    config = dump(cfg, osp.join(ctx.workdir, 'nyu_fd_ddp.py'))
    expected = epochs * (size['num_train'] // size['batch'])
    ctx.result.update(config=config, crop=list(size['crop']), batch=size['batch'],
                      expected_iters=expected, processes=1)
    ctx.result.save()
    env = dict(os.environ, PYTHON=ctx.python, PORT=str(free_port()))
    outcome = Tool(['bash', 'tools/dist_train.sh', config, '1', '--work-dir', work_dir],
                   osp.join(ctx.workdir, 'train.log'), env).wait(ctx.deadline - 3)
    records = train_scalars(work_dir)
    tail = outcome.pop('log_tail')
    ctx.result.update(outcome, backend=_backend(osp.join(ctx.workdir, 'train.log'),
                                                cfg.env_cfg.dist_cfg.backend),
                      logged_iters=[r.get('iter', r.get('step')) for r in records],
                      losses=[r['loss'] for r in records], val=_val(work_dir))
    if outcome['returncode'] != 0:
        ctx.result['log_tail'] = tail
        ctx.result.save()
        if outcome['timed_out']:
            raise TimeLimit(f'torchrun stopped after {outcome["wall_s"]} s, at the section\'s '
                            'deadline')
        raise RuntimeError(f'torchrun exited with {outcome["returncode"]}')
    ctx.result.save()


def _backend(log_path: str, configured: str):
    """The process group's backend as the log tells it: the project's CPU path logs gloo,
    MMEngine's own initialisation uses the config's; None when the run never got there."""
    with open(log_path, errors='replace') as f:
        log = f.read()
    if 'CPU distributed run: gloo' in log:
        return 'gloo'
    return configured if 'Distributed training: True' in log else None


def _val(work_dir: str):
    """The validation mIoU of the run (MMEngine's scalars.json), None if none was logged."""
    for root, _, files in os.walk(work_dir):
        if 'scalars.json' in files:
            with open(osp.join(root, 'scalars.json')) as f:
                for line in f:
                    record = json.loads(line)
                    if 'mIoU' in record:
                        return record['mIoU']
    return None
