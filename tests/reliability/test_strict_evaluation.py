"""tools/test.py evaluates only checkpoints that fit the config; ``--out`` is checked first.

Real checkpoints of tiny 1-epoch runs (an RGB teacher, an FD distiller). The protection
removed is MMEngine's own loading (``strict=False``, what tools/test.py used): it loads the
teacher's checkpoint into the distiller without an error and leaves the student random.
"""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_checkpoint

from fdkd_mm.checkpoint.metadata import MODEL_RECORD_KEY
from fdkd_mm.testing.overrides import nyu_cpu_overrides
from fdkd_mm.checkpoint.strict_loading import CheckpointMismatchError, load_checkpoint_strict
from reliability_utils import FD_CONFIG, REPO, fd_options, load_ckpt, run_train, subprocess_env

RGB_TEACHER = 'configs/uni/uni_dlv3p-r18-rgb_nyu.py'


@pytest.fixture(scope='module')
def runs(nyu_data, tmp_path_factory) -> dict:
    """An RGB teacher and an FD distiller, 1 epoch each, through tools/train.py."""
    root = tmp_path_factory.mktemp('strict')
    distiller = root / 'fd'
    run_train(distiller, fd_options(nyu_data, epochs=1))
    teacher = root / 'rgb'
    cmd = [sys.executable, 'tools/train.py', RGB_TEACHER, '--work-dir', str(teacher),
           '--cfg-options', *nyu_cpu_overrides(str(nyu_data), 1, ['model']),
           'train_cfg.val_interval=1000', 'default_hooks.checkpoint.save_best=None']
    result = subprocess.run(cmd, cwd=REPO, env=subprocess_env(), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(root=root, data=nyu_data, distiller=distiller / 'epoch_1.pth',
                teacher=teacher / 'epoch_1.pth')


def run_test(config: str, checkpoint: Path, work: Path, data: Path, *extra, models=None):
    options = nyu_cpu_overrides(str(data), 1, models or ['model.student', 'model.teacher'])
    if models is None:
        options.append('model.teacher_ckpt=None')
    cmd = [sys.executable, 'tools/test.py', config, str(checkpoint), '--work-dir', str(work),
           *extra, '--cfg-options', *options]
    return subprocess.run(cmd, cwd=REPO, env=subprocess_env(), capture_output=True, text=True,
                          timeout=300)


def test_checkpoints_record_what_they_are(runs):
    teacher = load_ckpt(runs['teacher'])['meta'][MODEL_RECORD_KEY]
    assert teacher == dict(kind='unimodal', type='EncoderDecoder', modality='rgb',
                           arch='EncoderDecoder/ResNetV1c-18/DepthwiseSeparableASPPHead')
    distiller = load_ckpt(runs['distiller'])['meta'][MODEL_RECORD_KEY]
    assert distiller['kind'] == 'distiller'
    assert distiller['student']['modality'] == 'rgb'
    assert distiller['teacher']['modality'] == 'depth'


def test_teacher_checkpoint_with_distiller_config_fails_short_and_clear(runs, tmp_path):
    result = run_test(FD_CONFIG, runs['teacher'], tmp_path, runs['data'])
    assert result.returncode == 1
    error = result.stderr[result.stderr.index('error: checkpoint'):]
    assert error.splitlines()[0] == (f'error: checkpoint {runs["teacher"]} does not fit the '
                                     'model of this config:')
    assert 'the checkpoint is a unimodal checkpoint (modality rgb, EncoderDecoder/' in error
    assert 'the config builds a distiller model (CrossModalDistiller' in error
    assert '386 missing keys (in the model, not the checkpoint), e.g. ' \
           'student.backbone.stem.0.weight' in error
    assert '226 unexpected keys (in the checkpoint, not the model), e.g. ' \
           'backbone.stem.0.weight' in error
    assert '0 mis-shaped keys' in error
    assert len(error) < 2000, 'the key lists belong in the log file, not the terminal'
    log = Path(error.split('full key lists: ')[1].split()[0])
    listed = log.read_text()
    assert 'student.decode_head.conv_seg.weight' in listed and 'decode_head.conv_seg.bias' in \
        listed
    assert 'Iter(test)' not in result.stdout  # nothing was evaluated


def test_mmengine_loading_accepts_it_silently(runs):
    """The counterfactual: non-strict loading raises nothing and leaves the student random."""
    init_default_scope('fdkd_mm')
    from fdkd_mm.registry import MODELS
    cfg = Config.fromfile(str(REPO / FD_CONFIG))
    cfg.merge_from_dict(dict(model=dict(teacher_ckpt=None, student=dict(pretrained=None),
                                        teacher=dict(pretrained=None))))
    model = MODELS.build(cfg.model)
    before = model.student.decode_head.conv_seg.weight.clone()
    load_checkpoint(model, str(runs['teacher']), map_location='cpu', strict=False)
    assert torch.equal(model.student.decode_head.conv_seg.weight, before)


def test_matching_checkpoints_still_evaluate(runs, tmp_path):
    result = run_test(FD_CONFIG, runs['distiller'], tmp_path / 'fd', runs['data'], '--out',
                      str(tmp_path / 'fd' / 'nested' / 'metrics.json'))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'all keys matched' in result.stdout
    assert (tmp_path / 'fd' / 'nested' / 'metrics.json').is_file()


def test_out_that_cannot_be_written_fails_before_evaluation(runs, tmp_path):
    folder = tmp_path / 'a_folder'
    folder.mkdir()
    result = run_test(FD_CONFIG, runs['distiller'], tmp_path / 'w', runs['data'], '--out',
                      str(folder))
    assert result.returncode == 1
    assert f'error: --out {folder} is a folder' in result.stderr
    blocked = tmp_path / 'a_file'
    blocked.write_text('')
    result = run_test(FD_CONFIG, runs['distiller'], tmp_path / 'w', runs['data'], '--out',
                      str(blocked / 'metrics.json'))
    assert result.returncode == 1
    assert f'error: --out {blocked / "metrics.json"} cannot be written' in result.stderr
    assert not (tmp_path / 'w').exists()  # stopped before the Runner existed


def tiny_classifier(width: int, classes: int):
    from fdkd_mm.registry import MODELS
    return MODELS.build(dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='ResNet', depth=18, stem_channels=width, base_channels=width,
                      out_indices=(3,)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=classes, in_channels=width * 8),
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor')))


def test_mis_shaped_checkpoint_is_refused_with_the_shapes(tmp_path):
    """Another dataset's checkpoint (different classes and widths): counts and first shapes."""
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict=tiny_classifier(16, 40).state_dict()), other)
    with pytest.raises(CheckpointMismatchError) as error:
        load_checkpoint_strict(tiny_classifier(8, 6), other)
    mismatch = error.value.mismatch
    assert not mismatch.missing and not mismatch.unexpected
    assert len(mismatch.mis_shaped) == len([k for k, v in tiny_classifier(8, 6).state_dict()
                                            .items() if v.dim() > 0])
    assert ('backbone.conv1.weight', (16, 3, 7, 7), (8, 3, 7, 7)) in mismatch.mis_shaped
    assert f'{len(mismatch.mis_shaped)} mis-shaped keys (checkpoint vs model shape), e.g. ' \
           'backbone.conv1.weight (16, 3, 7, 7) vs (8, 3, 7, 7)' in str(error.value)


def test_exported_student_is_recognised(runs, tmp_path):
    """A student exported from the distiller (meta kept, prefix gone) tested with the
    distiller's config: the error says what it is and what to do."""
    checkpoint = load_ckpt(runs['distiller'])
    student = {k[len('student.'):]: v for k, v in checkpoint['state_dict'].items()
               if k.startswith('student.')}
    exported = tmp_path / 'student.pth'
    torch.save(dict(meta=dict(checkpoint['meta']), state_dict=student), exported)
    from fdkd_mm.registry import MODELS
    init_default_scope('fdkd_mm')
    cfg = Config.fromfile(str(REPO / FD_CONFIG))
    cfg.merge_from_dict(dict(model=dict(teacher_ckpt=None, student=dict(pretrained=None),
                                        teacher=dict(pretrained=None))))
    with pytest.raises(CheckpointMismatchError,
                       match=r'the checkpoint is a student exported from a '
                             r'CrossModalDistiller checkpoint \(modality rgb'):
        load_checkpoint_strict(MODELS.build(cfg.model), exported)
    # Into the student's own (unimodal) network it loads.
    rgb = Config.fromfile(str(REPO / RGB_TEACHER))
    rgb.model.pretrained = None
    load_checkpoint_strict(MODELS.build(rgb.model), exported)
