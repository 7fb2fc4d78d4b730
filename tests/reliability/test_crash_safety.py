"""A kill at any moment leaves the previous checkpoint and ``last_checkpoint`` usable.

Two tests: a kill simulated *inside* the checkpoint write (the bytes half written, then the
process "dies"), in-process on a toy model; and a real SIGKILL of tools/train.py mid-run,
followed by ``--resume``.

Checked against the protection removed: ``test_mmengine_hook_is_not_crash_safe`` runs the very
same simulated kill with MMEngine's own ``CheckpointHook`` and asserts what the atomic test
forbids: a truncated ``iter_3.pth`` under its final name, and with ``max_keep_ckpts=1`` the
previous checkpoint already deleted, leaving nothing to resume from.
"""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from mmengine.runner import Runner

from reliability_utils import REPO, fd_options, load_ckpt, run_train, subprocess_env, train_cmd
from toy_checkpointing import KilledWhileWriting, checkpoint_loads, half_write_then_die, toy_runner
from fdkd_mm.engine.hooks import AtomicCheckpointHook  # noqa: F401  (registers it)


def atomic_or_not(work_dir: Path, hook_type: str, max_iters: int, max_keep: int,
                  resume: bool = False) -> Runner:
    """A toy run checkpointing every iteration with ``hook_type``, keeping ``max_keep``."""
    return toy_runner(work_dir, dict(type=hook_type, max_keep_ckpts=max_keep), max_iters,
                      resume=resume)


def crash_at_iter3(tmp_path, monkeypatch, hook_type, max_keep) -> Path:
    half_write_then_die(monkeypatch, 'iter_3.pth')
    with pytest.raises(KilledWhileWriting):
        atomic_or_not(tmp_path, hook_type, max_iters=5, max_keep=max_keep).train()
    monkeypatch.undo()
    return tmp_path


@pytest.mark.parametrize('max_keep', [-1, 1])
def test_kill_during_write_keeps_previous_checkpoint(tmp_path, monkeypatch, max_keep):
    work = crash_at_iter3(tmp_path, monkeypatch, 'AtomicCheckpointHook', max_keep)
    pointer = (work / 'last_checkpoint').read_text()
    assert pointer == str(work / 'iter_2.pth')
    assert checkpoint_loads(work / 'iter_2.pth')
    final = work / 'iter_3.pth'
    assert not final.exists() or checkpoint_loads(final), 'half-written file under final name'
    # Resuming picks up iteration 2 and finishes; the stale .tmp is cleaned up.
    runner = atomic_or_not(work, 'AtomicCheckpointHook', max_iters=5, max_keep=max_keep,
                           resume=True)
    runner.train()
    assert runner.iter == 5
    assert load_ckpt(work / 'iter_5.pth')['meta']['iter'] == 5
    assert not list(work.glob('*.tmp'))
    if max_keep == 1:
        assert sorted(p.name for p in work.glob('iter_*.pth')) == ['iter_5.pth']


@pytest.mark.parametrize('max_keep', [-1, 1])
def test_mmengine_hook_is_not_crash_safe(tmp_path, monkeypatch, max_keep):
    """The unprotected baseline: the same kill corrupts what a resume would read."""
    work = crash_at_iter3(tmp_path, monkeypatch, 'CheckpointHook', max_keep)
    truncated = (work / 'iter_3.pth').exists() and not checkpoint_loads(work / 'iter_3.pth')
    previous_gone = not (work / 'iter_2.pth').exists()
    assert truncated and (previous_gone or max_keep != 1)


def test_pointer_is_replaced_atomically(tmp_path, monkeypatch):
    """A kill while writing the pointer leaves the old pointer, not an empty file."""
    atomic_or_not(tmp_path, 'AtomicCheckpointHook', max_iters=2, max_keep=-1).train()
    original_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith('last_checkpoint'):
            raise KilledWhileWriting(dst)
        return original_replace(src, dst)

    monkeypatch.setattr(os, 'replace', replace)
    with pytest.raises(KilledWhileWriting):
        atomic_or_not(tmp_path, 'AtomicCheckpointHook', max_iters=3, max_keep=-1,
                      resume=True).train()
    monkeypatch.undo()
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_2.pth')
    assert checkpoint_loads(tmp_path / 'iter_3.pth')  # complete, just not yet pointed to


def test_sigkill_mid_run_then_resume(nyu_data, tmp_path):
    """SIGKILL tools/train.py once its first checkpoint exists, then --resume to the end."""
    options = fd_options(nyu_data, epochs=3, ckpt_every=1)
    proc = subprocess.Popen(train_cmd(tmp_path, options), cwd=REPO, env=subprocess_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while not (tmp_path / 'last_checkpoint').exists():
            assert proc.poll() is None, 'training ended before its first checkpoint'
            assert time.time() < deadline, 'no checkpoint within 4 minutes'
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # mid epoch 2, possibly mid-write of epoch_2.pth
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    pointer = Path((tmp_path / 'last_checkpoint').read_text())
    killed_at = load_ckpt(pointer)['meta']['epoch']  # the pointer names a complete file
    assert killed_at in (1, 2)
    run_train(tmp_path, options, resume='auto')
    final = load_ckpt(tmp_path / 'epoch_3.pth')
    assert final['meta']['epoch'] == 3 and final['meta']['iter'] == 6
    logs = '\n'.join(p.read_text() for p in tmp_path.glob('*/*.log'))
    assert f'resumed epoch: {killed_at}' in logs
