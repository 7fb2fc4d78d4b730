"""A broken distillation config fails before training, naming what to fix.

validate_distill_config checks what the config alone shows (input keys, class counts) before
anything is built; the distiller checks what needs its networks (recorder paths, mappings,
widths) when the runner builds it. Each case was checked against the protection removed:
without the check, the same config builds and only fails at the first training step (widths:
a shape error in the loss; inputs: a KeyError from the batch) or not at all (num_classes: the
heads silently use a different K). ``test_train_py_validates_before_building_the_runner``
proves tools/train.py calls the validator.
"""
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from reliability_utils import FD_CONFIG, REPO, subprocess_env
from fdkd_mm.models.distillers.validation import DistillConfigError, validate_distill_config
from fdkd_mm.models.distillers.widths import WidthMismatchError
from fdkd_mm.registry import MODELS


def fd_config(**model) -> Config:
    cfg = Config.fromfile(str(REPO / FD_CONFIG))
    cfg.merge_from_dict(dict(model=model) if model else {})
    return cfg


def build_distiller(cfg: Config):
    """The config's distiller as the runner builds it (no teacher checkpoint, no weights)."""
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    return MODELS.build(dict(cfg.model.to_dict(), teacher_ckpt=None))


def test_the_shipped_config_is_valid():
    validate_distill_config(fd_config())
    assert not build_distiller(fd_config())._widths_pending  # every width checked at build


def test_validation_builds_no_model(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError('validate_distill_config built a model')
    monkeypatch.setattr(MODELS, 'build', refuse)
    validate_distill_config(fd_config())


def test_teacher_config_is_not_a_distiller_and_passes():
    validate_distill_config(Config.fromfile(str(REPO / 'configs/uni/uni_dlv3p-r18-depth_nyu.py')))


@pytest.mark.parametrize('role', ['student', 'teacher'])
def test_input_key_absent_from_the_packing_transform(role):
    with pytest.raises(DistillConfigError,
                       match=rf"model.{role}_input='thermal' is not packed.*\['rgb', 'depth'\]"):
        validate_distill_config(fd_config(**{f'{role}_input': 'thermal'}))


def test_plain_packing_cannot_feed_a_distiller():
    cfg = fd_config()
    cfg.train_dataloader.dataset.pipeline[-1]['plain_inputs'] = True
    cfg.train_dataloader.dataset.pipeline[-1]['modalities'] = dict(rgb='img')
    with pytest.raises(DistillConfigError, match='plain inputs'):
        validate_distill_config(cfg)


def test_recorded_module_that_does_not_exist():
    with pytest.raises(ValueError,
                       match=r"teacher recorder 'feat': recorder path 'decode_head.sep_bottlenek'"
                             r".*closest valid paths: 'decode_head.sep_bottleneck'"):
        build_distiller(fd_config(
            teacher_recorders=dict(feat=dict(path='decode_head.sep_bottlenek'))))


def test_widths_that_cannot_meet():
    # backbone.layer4 of ResNet-18: 512 channels vs the 128-d decode feature the loss expects.
    with pytest.raises(WidthMismatchError,
                       match=r"'loss_fd' argument 'student_feat' expects 128 channels, but "
                             r"student recorder 'feat' \(path 'backbone.layer4'\) gives 512.*"
                             r"ProjectionConnector', in_channels=512, out_channels=128"):
        build_distiller(fd_config(student_recorders=dict(feat=dict(path='backbone.layer4'))))


def test_in_channels_that_disagree_with_the_features():
    with pytest.raises(WidthMismatchError, match=r"expects 64 channels, but student recorder "
                                                 r"'feat'.* gives 128"):
        build_distiller(fd_config(distill_losses=dict(loss_fd=dict(in_channels=64))))


def test_connector_that_bridges_the_widths_passes_and_a_wrong_one_fails():
    layer4 = dict(student_recorders=dict(feat=dict(path='backbone.layer4')))
    build_distiller(fd_config(**layer4, connectors=dict(student_feat=dict(
        type='ProjectionConnector', in_channels=512, out_channels=128))))
    with pytest.raises(WidthMismatchError,
                       match=r"model.connectors.student_feat takes 256 channels, but student "
                             r"recorder 'feat' \(path 'backbone.layer4'\) gives 512"):
        build_distiller(fd_config(**layer4, connectors=dict(student_feat=dict(
            type='ProjectionConnector', in_channels=256, out_channels=128))))


def test_num_classes_disagreeing_with_the_dataset():
    with pytest.raises(DistillConfigError,
                       match=r'num_classes disagree: .*model.distill_losses.loss_fd.num_classes=13'
                             r'.*declares 40 classes'):
        validate_distill_config(fd_config(distill_losses=dict(loss_fd=dict(num_classes=13))))


def test_a_mapping_error_is_reported_before_training():
    with pytest.raises(ValueError, match=r"no student recorder named 'fet' "
                                         r"\(did you mean 'feat'\?\)"):
        build_distiller(fd_config(loss_forward_mappings=dict(loss_fd=dict(
            student_feat=dict(recorder='fet')))))


def test_train_py_validates_before_building_the_runner(tmp_path):
    result = subprocess.run(
        [sys.executable, 'tools/train.py', FD_CONFIG, '--work-dir', str(tmp_path),
         '--cfg-options', 'model.teacher_input=thermal', 'model.student.pretrained=None',
         'model.teacher.pretrained=None'],
        cwd=REPO, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert 'DistillConfigError' in result.stderr and "'thermal'" in result.stderr
    assert not list(tmp_path.glob('*/*.log'))  # no Runner was built


def test_named_teachers_inputs_and_classes_are_checked_too():
    cfg = fd_config()
    network, recorders = cfg.model.pop('teacher'), cfg.model.pop('teacher_recorders')
    for key in [key for key in cfg.model if key.startswith('teacher_')]:
        cfg.model.pop(key)
    cfg.model.teachers = dict(depth=dict(type='FrozenTeacher', network=network,
                                         inputs=['depth', 'thermal'], recorders=recorders))
    with pytest.raises(DistillConfigError, match=r"model.teachers.depth.inputs='thermal' is not "
                                                 r"packed by the train_dataloader pipeline"):
        validate_distill_config(cfg)
    cfg.model.teachers.depth.inputs = 'depth'
    validate_distill_config(cfg)
    cfg.model.teachers.depth.network.decode_head.num_classes = 13
    with pytest.raises(DistillConfigError, match=r"num_classes disagree: .*model.teachers.depth."
                                                 r"network.decode_head.num_classes=13"):
        validate_distill_config(cfg)
