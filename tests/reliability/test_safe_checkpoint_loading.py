"""Checkpoints load with torch's safe unpickler; a code-carrying pickle is refused.

``fixtures/toy_checkpoint_6b490f8.pth`` was written before the change (fdkd_mm at commit
6b490f8, a toy Runner with AtomicCheckpointHook, NonFiniteLossGuardHook, RNGStateHook,
BadSampleReportHook and a MultiStepLR schedule: message hub with HistoryBuffers, numpy
arrays and scalars, RNG states, a Counter). Checkpoints of the current code are loaded by
every reliability test (``reliability_utils.load_ckpt``) and here from a real toy run.

Checked against the protection removed: with ``weights_only=False`` (the old process-wide
loader) the payload below runs and writes its marker file.
"""
import os
import pickle
import zipfile
from pathlib import Path

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

import fdkd_mm  # noqa: F401  (registers the loader)
from fdkd_mm.checkpoint.safe_loading import (CorruptCheckpointError, UnsafeCheckpointError,
                                           load_checkpoint_file)
from toy_checkpointing import toy_runner

OLD = Path(__file__).parent / 'fixtures' / 'toy_checkpoint_6b490f8.pth'


class RunsCode:
    """Unpickling calls ``exec`` with a statement that writes a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f'open({str(self.marker)!r}, "w").write("pwned")',)


class EscapesThroughGetattr:
    """The route an unrestricted ``getattr`` would open: allowed object -> module globals."""

    def __reduce__(self):
        return getattr, (HistoryBuffer.mean, '__globals__')


def test_checkpoint_from_before_the_change_loads_through_mmengine():
    checkpoint = _load_checkpoint(str(OLD), map_location='cpu')
    assert checkpoint['meta']['iter'] == 2
    assert isinstance(checkpoint['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert len(checkpoint['message_hub']['log_scalars']['train/loss'].data[0]) == 2
    assert checkpoint['param_schedulers'][0]['milestones'] == {1: 1}  # a Counter
    assert set(checkpoint['rng_state']) >= {'torch', 'numpy', 'python'}
    assert checkpoint['state_dict']['fc.weight'].shape == (1, 4)


def test_checkpoint_of_the_current_code_resumes(tmp_path):
    toy_runner(tmp_path, dict(type='AtomicCheckpointHook'), max_iters=2).train()
    runner = toy_runner(tmp_path, dict(type='AtomicCheckpointHook'), max_iters=3, resume=True)
    runner.train()
    assert runner.iter == 3
    assert load_checkpoint_file(tmp_path / 'iter_3.pth')['message_hub']['runtime_info'][
        'last_ckpt'] == str(tmp_path / 'iter_3.pth')


def rewrite_globals(source: Path, target: Path, old: bytes, new: bytes) -> None:
    """Copy a zip checkpoint, replacing a module name in the pickle's GLOBAL opcodes."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, 'w') as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith('data.pkl'):
                assert old in data
                data = data.replace(old, new)
            dst.writestr(item, data)


def test_numpy_1_module_names_load(tmp_path):
    """Checkpoints written under numpy 1 name ``numpy.core.multiarray``, not ``numpy._core``."""
    legacy = tmp_path / 'numpy1.pth'
    rewrite_globals(OLD, legacy, b'numpy._core.multiarray\n', b'numpy.core.multiarray\n')
    assert load_checkpoint_file(legacy)['message_hub']['runtime_info']['iter'] == 1


@pytest.mark.parametrize('payload, refused', [
    ('exec', 'builtins.exec'), ('getattr', "getattr(mean, '__globals__')")])
def test_code_execution_payload_is_refused(tmp_path, payload, refused):
    marker = tmp_path / 'pwned'
    evil = tmp_path / 'evil.pth'
    obj = RunsCode(marker) if payload == 'exec' else EscapesThroughGetattr()
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': obj}, evil)
    with pytest.raises(UnsafeCheckpointError) as error:
        _load_checkpoint(str(evil), map_location='cpu')
    message = str(error.value)
    assert f'refused to load checkpoint {evil}: it holds {refused}' in message
    assert 'could run code' in message
    assert not marker.exists()


def test_without_the_protection_the_payload_runs(tmp_path):
    """The counterfactual: the old loader's weights_only=False executes the payload."""
    marker = tmp_path / 'pwned'
    torch.save({'meta': RunsCode(marker)}, tmp_path / 'evil.pth')
    torch.load(tmp_path / 'evil.pth', weights_only=False)
    assert marker.read_text() == 'pwned'


def test_nothing_is_allowed_process_wide(tmp_path):
    """The allow-list exists only inside our loader: torch's global state is untouched and a
    plain ``torch.load`` still refuses an MMEngine checkpoint after our loads."""
    before = set(torch.serialization.get_safe_globals())
    load_checkpoint_file(OLD)
    assert set(torch.serialization.get_safe_globals()) == before
    assert HistoryBuffer not in before
    with pytest.raises(pickle.UnpicklingError, match='Weights only load failed'):
        torch.load(OLD)


@pytest.mark.parametrize('damage', ['truncated', 'empty', 'text'])
def test_damaged_checkpoint_names_its_path(tmp_path, damage):
    path = tmp_path / f'{damage}.pth'
    data = OLD.read_bytes()
    path.write_bytes({'truncated': data[:len(data) // 2], 'empty': b'',
                      'text': b'not a checkpoint\n'}[damage])
    with pytest.raises(CorruptCheckpointError,
                       match=f'checkpoint {path} cannot be read: it is truncated or not a torch '
                             'checkpoint'):
        _load_checkpoint(str(path), map_location='cpu')


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(tmp_path / 'nope.pth'))
