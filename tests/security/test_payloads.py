"""The payloads of these tests are live: read the unsafe way, each creates its marker.

Without this, "the marker never appears" could mean a dud payload rather than a refusal.
"""
import pickle

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from fdkd_mm.registry import MODELS
from payloads import code_config_text, command_config, payload_checkpoint, payload_pickle


@pytest.mark.parametrize('legacy', [False, True], ids=['zip', 'legacy'])
def test_checkpoint_payload_runs_when_unpickled_fully(tmp_path, legacy):
    marker = tmp_path / 'marker'
    path = payload_checkpoint(tmp_path / 'evil.pth', marker, legacy=legacy)
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_pickle_payload_runs_when_unpickled(tmp_path):
    marker = tmp_path / 'marker'
    with open(payload_pickle(tmp_path / 'evil.pkl', marker), 'rb') as f:
        pickle.load(f)
    assert marker.exists()


def test_config_text_payload_runs_when_executed(tmp_path):
    marker = tmp_path / 'marker'
    Config.fromstring(code_config_text(marker), file_format='.py')
    assert marker.exists()


def test_config_data_payload_runs_when_built(tmp_path):
    """MMEngine's registries import and call an unregistered dotted ``type``."""
    marker = tmp_path / 'marker'
    init_default_scope('fdkd_mm')
    MODELS.build(command_config(marker)['model'])
    assert marker.exists()
