"""MMEngine checkpoints (with message hub) load through MMEngine's own loader."""
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

import fdkd_mm  # noqa: F401  (registers the loader)


def test_checkpoint_with_history_buffer_loads(tmp_path):
    buffer = HistoryBuffer()
    buffer.update(1.5)
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'message_hub': {'loss': buffer}}, path)
    # torch's default safe loading refuses this file; MMEngine's loader must not.
    with pytest.raises(Exception, match='Weights only load failed'):
        torch.load(path)
    checkpoint = _load_checkpoint(str(path), map_location='cpu')
    assert checkpoint['message_hub']['loss'].current() == 1.5
    assert torch.equal(checkpoint['state_dict']['w'], torch.ones(2))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(tmp_path / 'nope.pth'))
