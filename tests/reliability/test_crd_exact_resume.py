"""CRD's memory bank through ``tools/train.py``: sized from the training set, saved in every
checkpoint, and continued bit for bit by ``--resume``.

4 iterations straight == 2 iterations + ``--resume`` for 2 more (the NYU CRD cell on synthetic
64x80 data, 8 images, batch 4, one thread), the bank (``losses.loss_crd.memory.*``) included.
The bank moves every step and its negatives are drawn from the torch generator, so the
comparison fails if the bank, its normalisers or the generator state were not restored.
"""
import shutil
import subprocess
import sys

import pytest
import torch

from reliability_utils import (REPO, assert_same_tensors, fd_options, load_ckpt,
                               subprocess_env)

CRD_CONFIG = 'configs/crd/crd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py'
BANK = 'losses.loss_crd.memory.'


def run_crd(work, options, resume=None) -> None:
    cmd = [sys.executable, 'tools/train.py', CRD_CONFIG, '--work-dir', str(work)]
    if resume is not None:
        cmd += ['--resume', str(resume)]
    result = subprocess.run(cmd + ['--cfg-options', *options], cwd=REPO, env=subprocess_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]


@pytest.fixture(scope='module')
def straight(nyu_data, tmp_path_factory):
    work = tmp_path_factory.mktemp('crd_straight')
    run_crd(work, fd_options(nyu_data, epochs=2, ckpt_every=1))
    return work


def test_bank_is_sized_from_the_training_set_and_moves(straight):
    first, second = (load_ckpt(straight / f'epoch_{e}.pth')['state_dict'] for e in (1, 2))
    assert first[BANK + 'memory_student'].shape == (8, 128)      # 8 training images
    assert float(first[BANK + 'normalizers'].min()) > 0            # Z set on the first step
    assert torch.equal(first[BANK + 'normalizers'], second[BANK + 'normalizers'])
    assert not torch.equal(first[BANK + 'memory_student'], second[BANK + 'memory_student'])


def test_resume_continues_the_bank_exactly(straight, nyu_data, tmp_path):
    work = tmp_path / 'resumed'
    work.mkdir()
    shutil.copy(straight / 'epoch_1.pth', work / 'epoch_1.pth')
    run_crd(work, fd_options(nyu_data, epochs=2, ckpt_every=1), resume=work / 'epoch_1.pth')
    reference = load_ckpt(straight / 'epoch_2.pth')['state_dict']
    resumed = load_ckpt(work / 'epoch_2.pth')['state_dict']
    assert_same_tensors(reference, resumed, 'state_dict')
    assert any(key.startswith(BANK) for key in reference)
