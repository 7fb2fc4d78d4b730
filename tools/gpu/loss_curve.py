"""Section ``curve``: the first training losses on the device match a CPU run of the same seed.

The NYU FD-CMKD config (:mod:`nyu_run`) trains twice through ``tools/train.py`` from the same
seed, logging every iteration: on the device, and on the CPU (``CUDA_VISIBLE_DEVICES=''``).
Both runs build the same weights (initialised on the CPU) and read the same batches (the
pipeline's randomness is seeded on the CPU); the decode heads' dropout is set to 0 in both,
because its masks come from the device's own generator. What remains is arithmetic: cuDNN's
convolutions (TF32 by default on Ampere and later) against the CPU's. With ``--cpu`` both runs
are CPU runs and must agree exactly.

Tolerances (relative difference of the total loss): :data:`FIRST_TOL` at the first iteration
(forward only, same weights), :data:`CURVE_TOL` over the compared iterations (differences grow
as the weights drift apart).
"""
import os
import os.path as osp

from common import Context, TimeLimit
from nyu_run import Tool, dump, small_config, train_scalars, write_data

SIZES = dict(full=dict(image=(240, 320), crop=(240, 320), batch=4, iters=10),
             quick=dict(image=(32, 40), crop=(32, 40), batch=2, iters=2))
FIRST_TOL = 5e-3
CURVE_TOL = 5e-2


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


def run(ctx: Context) -> None:
    """Train on the device and on the CPU, compare the logged losses.

    Args:
        ctx: The section's context; fills ``ctx.result``.
    """
    from mmengine.registry import init_default_scope

    import fdkd_mm  # noqa: F401
    init_default_scope('fdkd_mm')
    size = SIZES['quick' if ctx.quick else 'full']
    num_train = size['batch'] * size['iters']  # one epoch of exactly `iters` steps
    data_root = write_data(osp.join(ctx.workdir, 'nyu'), num_train, 1, size['image'])
    ctx.result.update(iterations=size['iters'], crop=list(size['crop']), batch=size['batch'],
                      first_tolerance=FIRST_TOL, curve_tolerance=CURVE_TOL, runs={})
    tools, losses = {}, {}
    # Both runs at once: they need the same time on a CPU machine, and on a GPU machine the
    # CPU run would otherwise double the section's time.
    for run_name in ('device', 'cpu'):
        work_dir = osp.join(ctx.workdir, run_name)
        cfg = small_config(data_root, work_dir, size['crop'], size['batch'], 1, 0,
                           validate=False)
        for head in ('decode_head', 'auxiliary_head'):
            cfg.model.student[head]['dropout_ratio'] = 0.0
        cfg.env_cfg.cudnn_benchmark = False
        config = dump(cfg, osp.join(ctx.workdir, f'nyu_fd_curve_{run_name}.py'))
        env = dict(os.environ)
        if run_name == 'cpu':
            env['CUDA_VISIBLE_DEVICES'] = ''
        tools[run_name] = (Tool([ctx.python, 'tools/train.py', config, '--work-dir', work_dir],
                                osp.join(ctx.workdir, f'{run_name}.log'), env), work_dir)
    for run_name, (tool, work_dir) in tools.items():
        outcome = tool.wait(ctx.deadline - 2)
        records = sorted(train_scalars(work_dir), key=lambda r: r['step'])
        losses[run_name] = [r['loss'] for r in records]
        tail = outcome.pop('log_tail')
        ctx.result['runs'][run_name] = dict(outcome, losses=losses[run_name])
        if outcome['returncode'] != 0:
            ctx.result['runs'][run_name]['log_tail'] = tail
        ctx.result.save()
    compared = min(len(losses['device']), len(losses['cpu']))
    diffs = [relative(d, c) for d, c in zip(losses['device'], losses['cpu'])]
    ctx.result.update(compared=compared, relative_diff=diffs,
                      first_diff=diffs[0] if diffs else None,
                      max_diff=max(diffs) if diffs else None,
                      passed=bool(diffs) and diffs[0] <= FIRST_TOL and max(diffs) <= CURVE_TOL)
    ctx.result.save()
    failed = [n for n, r in ctx.result['runs'].items() if r['returncode'] != 0]
    if any(r['timed_out'] for r in ctx.result['runs'].values()):
        raise TimeLimit(f'training stopped at the section\'s deadline; iterations compared '
                        f'{compared} of {size["iters"]}')
    if failed or compared < size['iters']:
        raise RuntimeError(f'runs failed: {failed}; iterations compared {compared} of '
                           f'{size["iters"]}')
