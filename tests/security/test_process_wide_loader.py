"""``import fdkd_mm`` replaces MMEngine's local-file checkpoint loader process-wide, visibly.

The replacement is in the safe direction (every library's ``load_checkpoint`` of a local file
then refuses pickled code) and says so once, at the first load. Checked against the protection
removed: without the notice in ``load_from_safe_local`` the first test fails.
"""
import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader

from fdkd_mm.checkpoint import safe_loading
from fdkd_mm.checkpoint.safe_loading import UnsafeCheckpointError
from payloads import payload_checkpoint


@pytest.fixture
def fresh_process(monkeypatch) -> list:
    """As if no checkpoint had been loaded yet in this process; collects what is logged."""
    logged = []
    monkeypatch.setattr(safe_loading, '_announced', False)
    monkeypatch.setattr(safe_loading, 'print_log', lambda msg, **kwargs: logged.append(msg))
    return logged


def test_the_first_load_through_mmengine_logs_the_replacement_once(tmp_path, fresh_process):
    path = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict={'w': torch.arange(3.0)}), path)
    for _ in range(3):
        checkpoint = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
        assert torch.equal(checkpoint['state_dict']['w'], torch.arange(3.0))
    assert fresh_process == [safe_loading.LOADER_NOTICE]
    assert 'torch.load(weights_only=True)' in fresh_process[0]
    assert 'replaced MMEngine\'s local-file loader for the whole process' in fresh_process[0]


def test_mmengine_loads_of_local_files_go_through_the_safe_loader(tmp_path, fresh_process):
    assert CheckpointLoader._get_checkpoint_loader(str(tmp_path / 'x.pth')) is \
        safe_loading.load_from_safe_local
    marker = tmp_path / 'marker'
    evil = payload_checkpoint(tmp_path / 'evil.pth', marker)
    with pytest.raises(UnsafeCheckpointError, match=f'refused to load checkpoint {evil}'):
        CheckpointLoader.load_checkpoint(str(evil), map_location='cpu')
    assert not marker.exists()
    assert fresh_process == [safe_loading.LOADER_NOTICE]  # a refused load is a use too
