"""4 iterations straight == 2 iterations + ``--resume`` for 2 more, bit for bit (CPU).

Both go through tools/train.py with the NYU FD config on synthetic 64x80 data (8 images,
batch 4: 2 iterations per epoch; the resume point is the checkpoint after iteration 2, the
end of epoch 1: MMEngine's epoch loop cannot resume mid-epoch, see
reliability_utils.fd_options). Determinism: fixed seed (the config's ``randomness.seed=0``),
``num_workers=0``, one thread. The config's
``RNGStateHook`` stores the generator states in the checkpoint: without it the resumed run
re-seeds, so dropout in the decode head and the augmentation of epoch 2 differ (checked by
removing the hook: ``test_without_rng_state_the_resumed_run_diverges``).
"""
import shutil

import pytest
import torch

from reliability_utils import assert_same_tensors, fd_options, load_ckpt, run_train

STRAIGHT_ITERS = 4


@pytest.fixture(scope='module')
def straight(nyu_data, tmp_path_factory):
    work = tmp_path_factory.mktemp('straight')
    run_train(work, fd_options(nyu_data, epochs=2, ckpt_every=1))
    return work


def resume_from_epoch1(straight, data_root, work, extra=()) -> dict:
    """Resume the straight run's epoch-1 checkpoint in a fresh work dir; its final state."""
    work.mkdir()
    shutil.copy(straight / 'epoch_1.pth', work / 'epoch_1.pth')
    run_train(work, fd_options(data_root, epochs=2, ckpt_every=1, extra=extra),
              resume=work / 'epoch_1.pth')
    return load_ckpt(work / 'epoch_2.pth')


def test_resume_reproduces_weights_and_optimizer_state(straight, nyu_data, tmp_path):
    reference = load_ckpt(straight / 'epoch_2.pth')
    resumed = resume_from_epoch1(straight, nyu_data, tmp_path / 'resumed')
    assert resumed['meta']['iter'] == reference['meta']['iter'] == STRAIGHT_ITERS
    # Student, heads and BN statistics; the frozen teacher trivially.
    assert_same_tensors(reference['state_dict'], resumed['state_dict'], 'state_dict')
    assert any(k.startswith('student.') for k in reference['state_dict'])
    # SGD momentum buffers and hyper-parameters (lr after the poly schedule).
    assert_same_tensors(reference['optimizer'], resumed['optimizer'], 'optimizer')
    assert reference['param_schedulers'] == resumed['param_schedulers']


def test_without_rng_state_the_resumed_run_diverges(straight, nyu_data, tmp_path):
    """The protection matters: drop RNGStateHook and the weights differ after resuming."""
    reference = load_ckpt(straight / 'epoch_2.pth')
    resumed = resume_from_epoch1(
        straight, nyu_data, tmp_path / 'no_rng',
        extra=['custom_hooks.1.type=DivergenceGuardHook'])  # RNGStateHook out
    differs = [k for k, v in reference['state_dict'].items()
               if k.startswith('student.') and not torch.equal(v, resumed['state_dict'][k])]
    assert differs, 'resume without RNG states reproduced the run; the test proves nothing'
