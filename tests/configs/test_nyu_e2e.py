"""The main job end to end on synthetic NYU data, through the real CLI tools and configs.

One module-scoped pipeline (teacher -> FD student -> resume -> test -> export -> plain mmseg
test, plus a 2-process CPU run) keeps the cost to a few small trainings.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fdkd_mm.testing import write_synthetic_nyu
from fdkd_mm.testing.overrides import nyu_cpu_overrides

REPO = Path(__file__).resolve().parents[2]
FD_CONFIG = 'configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py'
TEACHER_CONFIG = 'configs/uni/uni_dlv3p-r18-depth_nyu.py'
ITERS_PER_EPOCH = 2  # 8 training images, batch 4


def run_tool(*args: str, env: dict = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, f'{args[0]} failed:\n{result.stdout[-3000:]}\n' \
                                   f'{result.stderr[-5000:]}'
    return result


def val_scalars(work_dir: Path) -> list[dict]:
    """Validation records MMEngine's LocalVisBackend wrote (one JSON object per line)."""
    records = []
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        records += [json.loads(line) for line in path.read_text().splitlines()]
    return [r for r in records if 'mIoU' in r]


@pytest.fixture(scope='module')
def nyu(tmp_path_factory):
    root = tmp_path_factory.mktemp('nyu')
    data_root = str(write_synthetic_nyu(root / 'data', num_train=8, num_test=4))
    work = root / 'work'
    teacher_dir = work / 'teacher'
    run_tool('tools/train.py', TEACHER_CONFIG, '--work-dir', str(teacher_dir),
             '--cfg-options', *nyu_cpu_overrides(data_root, 1, ['model']))
    fd_options = nyu_cpu_overrides(data_root, 2, ['model.student', 'model.teacher'])
    fd_options.append(f'model.teacher_ckpt={teacher_dir / "epoch_1.pth"}')
    return dict(data_root=data_root, work=work, fd_options=fd_options,
                teacher_ckpt=teacher_dir / 'epoch_1.pth')


@pytest.fixture(scope='module')
def fd_run(nyu):
    """Train one epoch, then resume to the second: the checkpoints of both runs."""
    fd_dir = nyu['work'] / 'fd'
    first = run_tool('tools/train.py', FD_CONFIG, '--work-dir', str(fd_dir), '--cfg-options',
                     *nyu['fd_options'], 'train_cfg.max_epochs=1')
    second = run_tool('tools/train.py', FD_CONFIG, '--work-dir', str(fd_dir), '--resume',
                      '--cfg-options', *nyu['fd_options'])
    return dict(dir=fd_dir, first_log=first.stdout + first.stderr,
                second_log=second.stdout + second.stderr)


def test_fd_config_trains_validates_and_checkpoints(fd_run):
    log = fd_run['first_log']
    for key in ('student.decode.loss_ce', 'distill.loss_low', 'distill.loss_high',
                'align.loss_low_student', 'align.loss_high_teacher', 'aux.loss_low'):
        assert key in log, key
    assert 'loaded teacher weights' in log
    first_val = val_scalars(fd_run['dir'])[0]
    assert first_val['step'] == 1  # validated after the first epoch
    checkpoint = torch.load(fd_run['dir'] / 'epoch_1.pth', map_location='cpu',
                            weights_only=False)
    assert checkpoint['meta']['epoch'] == 1
    assert checkpoint['meta']['iter'] == ITERS_PER_EPOCH
    keys = checkpoint['state_dict'].keys()
    assert any(k.startswith('student.') for k in keys)
    assert any(k.startswith('teacher.') for k in keys)


def test_resume_continues_from_the_saved_iteration(fd_run):
    log = fd_run['second_log']
    assert f'resumed epoch: 1, iter: {ITERS_PER_EPOCH}' in log
    assert 'Epoch(train) [1]' not in log  # nothing of epoch 1 is re-run
    checkpoint = torch.load(fd_run['dir'] / 'epoch_2.pth', map_location='cpu',
                            weights_only=False)
    assert checkpoint['meta']['epoch'] == 2
    assert checkpoint['meta']['iter'] == 2 * ITERS_PER_EPOCH


def test_test_tool_reproduces_validation_miou_and_exported_student_matches(nyu, fd_run):
    val_miou = val_scalars(fd_run['dir'])[-1]['mIoU']  # validation after epoch 2
    metrics = nyu['work'] / 'test.json'
    # The teacher run's files are not needed to test a distiller checkpoint.
    test_options = [o for o in nyu['fd_options'] if not o.startswith('model.teacher_ckpt=')]
    test_options.append('model.teacher_ckpt=/nonexistent/teacher.pth')
    run_tool('tools/test.py', FD_CONFIG, str(fd_run['dir'] / 'epoch_2.pth'), '--work-dir',
             str(nyu['work'] / 'test'), '--out', str(metrics), '--cfg-options', *test_options)
    assert json.loads(metrics.read_text())['mIoU'] == pytest.approx(val_miou, abs=1e-6)

    student = nyu['work'] / 'student.pth'
    run_tool('tools/export_student.py', str(fd_run['dir'] / 'epoch_2.pth'), str(student),
             '--config', FD_CONFIG)
    plain_metrics = nyu['work'] / 'plain.json'
    run_tool('tools/test.py', 'configs/uni/uni_dlv3p-r18-rgb_nyu.py', str(student),
             '--work-dir', str(nyu['work'] / 'plain'), '--out', str(plain_metrics),
             '--cfg-options', *nyu_cpu_overrides(nyu['data_root'], 1, ['model']))
    assert json.loads(plain_metrics.read_text())['mIoU'] == pytest.approx(val_miou, abs=1e-6)


def test_dist_train_with_two_cpu_processes(nyu):
    work_dir = nyu['work'] / 'dist'
    env = dict(os.environ, PYTHON=sys.executable, PORT='29517')
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', FD_CONFIG, '2', '--work-dir', str(work_dir),
         '--cfg-options', *nyu['fd_options'], 'train_cfg.max_epochs=1',
         'train_dataloader.batch_size=2'],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=600)
    output = result.stdout + result.stderr
    # torchrun exits non-zero if any rank fails; only rank 0 logs through MMEngine.
    assert result.returncode == 0, output[-5000:]
    assert 'CPU distributed run: gloo, world size 2' in output
    assert 'Distributed training: True' in output
    checkpoint = torch.load(work_dir / 'epoch_1.pth', map_location='cpu', weights_only=False)
    # 8 images over 2 ranks x batch 2: 2 iterations per epoch.
    assert checkpoint['meta']['iter'] == 2
