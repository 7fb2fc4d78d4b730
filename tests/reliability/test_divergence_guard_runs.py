"""The divergence guard on real tools/train.py runs (tiny NYU FD config, 2 iterations / epoch).

* ``lr=1e6`` from the start: the loss is finite but 9e10 at iteration 2; without the guard's
  explosion rule ``epoch_1.pth`` is written with weights ~1e19 (checked below with the rule
  switched off). With it the run stops at iteration 2 and no checkpoint exists.
* The learning rate jumps to 1e6 in epoch 2 (a test hook, lr_spike_hook.py): the run stops at
  iteration 4, names ``epoch_1.pth`` as the last sane checkpoint and writes no later one;
  ``--resume`` with the sane schedule picks exactly that one and completes.
"""
import subprocess
from pathlib import Path

from reliability_utils import FD_CONFIG, REPO, fd_options, load_ckpt, subprocess_env, train_cmd


def run(work: Path, options: list, resume=None, config: str = FD_CONFIG, extra_path=None):
    cmd = train_cmd(work, options, resume)
    cmd[2] = config
    env = subprocess_env()
    if extra_path:
        env['PYTHONPATH'] = f'{REPO}:{extra_path}'
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def max_abs_student_weight(path: Path) -> float:
    state = load_ckpt(path)['state_dict']
    return max(float(v.abs().max()) for k, v in state.items()
               if k.startswith('student.') and v.is_floating_point())


def divergence_message(stderr: str) -> str:
    """The tool's error report: ``error: <message>`` up to its hint line, which names the
    error class (run_tool's one format)."""
    lines = stderr.strip().splitlines()
    assert lines[-1] == '(DivergenceError; --debug or FDKD_DEBUG=1 shows the traceback)'
    start = max(i for i, line in enumerate(lines) if line.startswith('error: '))
    return '\n'.join(lines[start:-1])


def test_lr_1e6_stops_at_iteration_2_and_writes_nothing(nyu_data, tmp_path):
    result = run(tmp_path, fd_options(nyu_data, epochs=2, extra=['optim_wrapper.optimizer.lr=1e6']))
    assert result.returncode == 1
    message = divergence_message(result.stderr)
    assert message.startswith('error: loss exploded at iteration 2 (epoch 1, batch 1)')
    assert 'the largest rise is student.decode.loss_ce' in message
    assert f'No checkpoint has been written in {tmp_path} yet' in message
    assert not list(tmp_path.glob('*.pth')) and not list(tmp_path.glob('*.tmp'))


def test_without_the_explosion_rule_the_insane_checkpoint_is_written(nyu_data, tmp_path):
    """The protection removed: the same run writes epoch_1.pth with exploded weights."""
    result = run(tmp_path, fd_options(nyu_data, epochs=1, extra=[
        'optim_wrapper.optimizer.lr=1e6', 'custom_hooks.0.loss_ratio=None',
        'custom_hooks.0.param_ratio=None']))
    assert result.returncode == 0, result.stderr[-3000:]
    assert max_abs_student_weight(tmp_path / 'epoch_1.pth') > 1e8


def test_spike_in_epoch_2_names_epoch_1_and_resume_completes(nyu_data, tmp_path):
    config = tmp_path / 'fd_lr_spike.py'
    config.write_text(
        f"_base_ = ['{REPO / FD_CONFIG}']\n"
        "custom_imports = dict(imports=['fdkd_mm', 'lr_spike_hook'])\n"
        "custom_hooks = _base_.custom_hooks + [dict(type='LearningRateSpikeHook', lr=1e6, "
        "epoch=2)]\n")
    work = tmp_path / 'work'
    options = fd_options(nyu_data, epochs=3)
    result = run(work, options, config=str(config), extra_path=REPO / 'tests' / 'reliability')
    assert result.returncode == 1
    message = divergence_message(result.stderr)
    assert message.startswith('error: loss exploded at iteration 4 (epoch 2, batch 1)')
    assert f'The last sane checkpoint is {work / "epoch_1.pth"}' in message
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_1.pth']
    assert max_abs_student_weight(work / 'epoch_1.pth') < 100
    # Resume without the spike: the named checkpoint is the one picked, and the run finishes.
    resumed = run(work, options, resume='auto')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    logs = '\n'.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'resumed epoch: 1, iter: 2' in logs
    final = load_ckpt(work / 'epoch_3.pth')
    assert final['meta']['iter'] == 6 and max_abs_student_weight(work / 'epoch_3.pth') < 100
