"""The first hour's mistakes, typed as a user types them: one ``error:`` block naming the key
or file, exit status 1, before any work dir or log folder exists.

The time to each error is printed (``pytest -s``) and recorded as a test property, not asserted:
the stack's import is its floor and this machine is shared. Before these checks the same
mistakes took 50-60 s and printed 30-570 lines.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
PROMISED = 'configs/fdkd/nyu_depth_to_rgb.py'


def env() -> dict:
    return dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')


def timed(command: list, record_property, name: str) -> tuple:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env(), capture_output=True, text=True,
                            timeout=300)
    seconds = time.perf_counter() - started
    record_property(f'{name}_seconds', round(seconds, 2))
    print(f'\n[time to error] {name}: {seconds:.1f} s')
    return result, seconds


def assert_one_error(result, *fragments: str) -> str:
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-4000:]
    assert 'Traceback' not in result.stderr, result.stderr[-4000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    error_lines = [line for line in lines if line.startswith('error: ')]
    assert len(error_lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in error_lines[0], error_lines[0]
    return error_lines[0]


@pytest.fixture(scope='module')
def nyu(tmp_path_factory) -> Path:
    from fdkd_mm.testing import write_synthetic_nyu
    return write_synthetic_nyu(tmp_path_factory.mktemp('first_hour') / 'nyu', num_train=2,
                               num_test=1, height=16, width=20, num_classes=3)


@pytest.fixture(scope='module')
def teacher(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp('teacher') / 'teacher.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(2))), path)
    return path


def data_options(root: Path) -> list:
    return [f'{split}_dataloader.dataset.data_root={root}' for split in ('train', 'val', 'test')]


def test_import_floor(record_property):
    """The stack's import: no tool can report anything sooner."""
    _, seconds = timed([sys.executable, '-c', 'import fdkd_mm, mmseg, mmpretrain'],
                       record_property, 'import fdkd_mm, mmseg, mmpretrain')
    assert seconds > 0


def test_misspelt_loss_type(tmp_path, record_property, nyu, teacher):
    work = tmp_path / 'work'
    result, _ = timed([sys.executable, 'tools/train.py', PROMISED, '--work-dir', str(work),
                       '--cfg-options', 'model.distill_losses.loss_fd.type=FDCMKDLos',
                       f'model.teacher_ckpt={teacher}', *data_options(nyu)],
                      record_property, 'misspelt loss type')
    assert_one_error(result, "model.distill_losses.loss_fd.type: unknown type 'FDCMKDLos'",
                     "did you mean 'FDCMKDLoss'?")
    assert not work.exists()


def test_text_for_an_integer_option(tmp_path, record_property):
    work = tmp_path / 'work'
    result, _ = timed([sys.executable, 'tools/train.py', PROMISED, '--work-dir', str(work),
                       '--cfg-options', 'train_cfg.max_epochs=two'],
                      record_property, 'train_cfg.max_epochs=two')
    assert_one_error(result, 'train_cfg.max_epochs must be an integer (the config holds 50)',
                     "'two'")
    assert not work.exists()


def test_missing_teacher_checkpoint(tmp_path, record_property, nyu):
    work = tmp_path / 'work'
    result, _ = timed([sys.executable, 'tools/train.py', PROMISED, '--work-dir', str(work),
                       '--cfg-options', f'model.teacher_ckpt={tmp_path}/uni/epoch_50.pth',
                       *data_options(nyu)],
                      record_property, 'missing teacher_ckpt')
    assert_one_error(result, 'model.teacher_ckpt: checkpoint', 'epoch_50.pth', 'does not exist')
    assert not work.exists()


def test_empty_split_file(tmp_path, record_property, nyu, teacher):
    import shutil
    root = tmp_path / 'nyu'
    shutil.copytree(nyu, root)
    (root / 'train.txt').write_text('')
    work = tmp_path / 'work'
    result, _ = timed([sys.executable, 'tools/train.py', PROMISED, '--work-dir', str(work),
                       '--cfg-options', f'model.teacher_ckpt={teacher}', *data_options(root)],
                      record_property, 'empty split file')
    assert_one_error(result, 'train_dataloader.dataset.ann_file: split file',
                     f'{root}/train.txt is empty')
    assert not work.exists()


def test_truncated_checkpoint_in_test(tmp_path, record_property, nyu, teacher):
    ckpt = tmp_path / 'epoch_50.pth'
    data = teacher.read_bytes()
    ckpt.write_bytes(data[:len(data) // 2])
    work = tmp_path / 'work'
    result, _ = timed([sys.executable, 'tools/test.py', PROMISED, str(ckpt), '--work-dir',
                       str(work), '--cfg-options', *data_options(nyu)],
                      record_property, 'truncated checkpoint (test.py)')
    assert_one_error(result, f'load_from: checkpoint {ckpt} cannot be read: it is truncated')
    assert not work.exists()
