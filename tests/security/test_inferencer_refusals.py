"""StudentInferencer refuses a crafted student file: nothing of it runs, the error names it.

``StudentInferencer(None, 'student.pth')`` reads the config the file stores as data; with a
config it reads only the weights, through MMEngine's loader (replaced by fdkd_mm's). Checked
against the protections removed: with the old ``Config.fromstring(meta['cfg'])`` the text
payload runs; without ``check_registered`` the data payload builds ``subprocess.call``; with
``weights_only=False`` in ``load_checkpoint_file`` the pickle payloads run.
"""
import pytest
import torch
from mmengine.config import Config

from fdkd_mm.apis import StudentInferencer
from fdkd_mm.checkpoint.config_data import CONFIG_DATA_KEY, UnsafeConfigError
from fdkd_mm.checkpoint.safe_loading import UnsafeCheckpointError
from fdkd_mm.registry import MODELS
from fdkd_mm.testing.tiny_models import tiny_classifier
from payloads import code_config_text, command_config, payload_checkpoint

AUDIO_DEPLOY = dict(modality='audio', input_key='audio_path', task='classification')


def deploy_data(model: dict) -> dict:
    """An exported audio student's config, as the export stores it."""
    return dict(default_scope='fdkd_mm', model=model, deploy=AUDIO_DEPLOY,
                test_pipeline=[dict(type='fdkd_mm.LoadWaveform'),
                               dict(type='fdkd_mm.LogSpectrogram', duration=0.5)])


@pytest.fixture(scope='module')
def student(tmp_path_factory):
    """A real audio student (weights and its config file) to carry the payloads."""
    root = tmp_path_factory.mktemp('student')
    model = dict(tiny_classifier(1), _scope_='mmpretrain')  # as the export scopes it
    weights = MODELS.build(model).state_dict()
    config = root / 'student.py'
    Config(deploy_data(model)).dump(str(config))
    return dict(root=root, model=model, weights=weights, config=str(config))


@pytest.mark.parametrize('legacy', [False, True], ids=['zip', 'legacy'])
@pytest.mark.parametrize('with_config', [False, True], ids=['alone', 'with_config'])
def test_a_pickle_payload_in_the_student_file_is_refused(student, tmp_path, legacy,
                                                         with_config):
    marker = tmp_path / 'marker'
    base = dict(state_dict=student['weights'],
                meta={CONFIG_DATA_KEY: deploy_data(student['model'])})
    evil = payload_checkpoint(tmp_path / 'student.pth', marker, base=base, legacy=legacy)
    with pytest.raises(UnsafeCheckpointError, match=f'refused to load checkpoint {evil}: it '
                                                    'holds posix.system'):
        StudentInferencer(student['config'] if with_config else None, str(evil), device='cpu')
    assert not marker.exists()


def test_a_config_text_is_never_executed(student, tmp_path):
    marker, path = tmp_path / 'marker', tmp_path / 'student.pth'
    torch.save(dict(state_dict=student['weights'], meta=dict(cfg=code_config_text(marker))),
               path)
    with pytest.raises(ValueError, match=rf'{path} stores its config only as text .* Pass the '
                                         r"exported config written beside it: "
                                         r"StudentInferencer\('<student>.py', weights\)"):
        StudentInferencer(None, str(path), device='cpu')
    assert not marker.exists()


def test_stored_config_data_naming_unregistered_types_is_refused(student, tmp_path):
    marker, path = tmp_path / 'marker', tmp_path / 'student.pth'
    data = deploy_data(command_config(marker)['model'])
    torch.save(dict(state_dict=student['weights'], meta={CONFIG_DATA_KEY: data}), path)
    with pytest.raises(UnsafeConfigError, match=f'refused the config stored in {path}: '
                                                "model.type='subprocess.call'"):
        StudentInferencer(None, str(path), device='cpu')
    assert not marker.exists()


def test_the_stored_config_data_builds_the_student(student, tmp_path):
    """The same file without payloads: the data form alone gives a working inferencer."""
    path = tmp_path / 'student.pth'
    torch.save(dict(state_dict=student['weights'],
                    meta={CONFIG_DATA_KEY: deploy_data(student['model'])}), path)
    inferencer = StudentInferencer(None, str(path), device='cpu')
    loaded = inferencer.model.state_dict()
    assert all(torch.equal(loaded[key], value) for key, value in student['weights'].items())
