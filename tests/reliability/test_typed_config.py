"""Typed config switches, teacher checkpoints of the right modality, ``--resume`` that resumes.

* ``--cfg-options model.ablation.frequency=Flase`` arrives as the truthy string 'Flase'
  (asserted with MMEngine's DictAction); ``check_bool_dict`` refuses it, naming key and value.
* An RGB-trained checkpoint loads as the depth teacher under MMEngine's strict loading (the
  networks are the same; asserted below); ``check_teacher_checkpoint`` refuses it from its
  meta, also for checkpoints written before the model record existed (config text).
* ``--resume`` in a work dir without checkpoints trained from scratch and exited 0; now it is
  an error, and ``--resume auto`` keeps the fall-through with a warning.
"""
import argparse
import glob
import re
import subprocess
from pathlib import Path

import pytest
import torch
from mmengine.config import Config, DictAction

from fdkd_mm.checkpoint.metadata import (MODEL_RECORD_KEY, TeacherCheckpointError,
                                           check_teacher_checkpoint, model_arch, model_record)
from fdkd_mm.config.typed_args import check_bool, check_bool_dict, check_choice, check_path
from reliability_utils import FD_CONFIG, REPO, fd_options, subprocess_env, train_cmd

ABLATION = ('frequency', 'align', 'scale', 'log')


# ------------------------------------------------------------------------------ typed args
def cfg_options(*pairs: str) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *pairs]).cfg_options


def test_a_mistyped_switch_is_a_truthy_string_before_the_check():
    value = cfg_options('model.ablation.frequency=Flase')['model.ablation.frequency']
    assert value == 'Flase' and bool(value)  # the ablation would run with the split on


def test_mistyped_switch_is_refused_naming_key_and_value():
    ablation = dict(frequency='Flase', align=True, scale=True, log=True)
    with pytest.raises(TypeError, match=r"model\.ablation\.frequency='Flase' must be True or "
                                        r'False, got a str; did you mean False\?'):
        check_bool_dict(ablation, 'model.ablation', allowed=ABLATION)


@pytest.mark.parametrize('value', [1, 0, None, 'true', 'False', 2.0])
def test_only_real_booleans_pass(value):
    with pytest.raises(TypeError, match=f'x.flag={re.escape(repr(value))} must be True or False'):
        check_bool(value, 'x.flag')
    assert check_bool(True, 'x') is True and check_bool(torch.tensor(0).numpy() == 0, 'x')


def test_unknown_and_missing_switches():
    with pytest.raises(ValueError, match=r"model\.ablation\.freqency is not a known switch.*"
                                         r"did you mean 'frequency'\?"):
        check_bool_dict(dict(freqency=False), 'model.ablation', allowed=ABLATION)
    with pytest.raises(ValueError, match=r"model\.ablation lacks the switch\(es\) \['log'\]"):
        check_bool_dict(dict(frequency=True, align=True, scale=True), 'model.ablation',
                        allowed=ABLATION, required=True)
    assert check_bool_dict(dict(frequency=False), 'model.ablation', ABLATION) == \
        dict(frequency=False)


def test_choices_and_paths(tmp_path):
    assert check_choice('bf16', 'model.teacher_autocast', ['bf16', 'fp16', None]) == 'bf16'
    with pytest.raises(ValueError, match=r"model\.teacher_autocast='bf61' is not one of "
                                         r"\['bf16', 'fp16', None\]; did you mean 'bf16'\?"):
        check_choice('bf61', 'model.teacher_autocast', ['bf16', 'fp16', None])
    with pytest.raises(ValueError, match='is not one of'):
        check_choice(True, 'x.mode', [1, 2])  # True == 1, but a switch is no number
    with pytest.raises(FileNotFoundError, match=rf"model\.teacher_ckpt='{tmp_path}': no such "
                                                r'file \(it is a folder\)'):
        check_path(tmp_path, 'model.teacher_ckpt')
    with pytest.raises(TypeError, match=r'model\.teacher_ckpt=5 must be a path'):
        check_path(5, 'model.teacher_ckpt')
    assert check_path(None, 'model.teacher_ckpt', allow_none=True) is None
    assert check_path(tmp_path, 'data_root', kind='dir') == str(tmp_path)


# ---------------------------------------------------------------------- teacher checkpoints
def config(path: str) -> Config:
    return Config.fromfile(str(REPO / path))


def teacher_checkpoint(tmp_path: Path, config_path: str, with_record: bool = True) -> Path:
    """A checkpoint as the config's training run writes it (meta with cfg text)."""
    cfg = config(config_path)
    meta = dict(cfg=cfg.pretty_text, epoch=50, iter=1000)
    if with_record:
        meta[MODEL_RECORD_KEY] = model_record(cfg)
    path = tmp_path / (Path(config_path).stem + ('' if with_record else '_old') + '.pth')
    torch.save(dict(meta=meta, state_dict={'backbone.conv1.weight': torch.zeros(1)}), path)
    return path


@pytest.mark.parametrize('with_record', [True, False])
def test_rgb_checkpoint_as_depth_teacher_is_refused(tmp_path, with_record):
    rgb = teacher_checkpoint(tmp_path, 'configs/uni/uni_dlv3p-r18-rgb_nyu.py', with_record)
    distiller = config(FD_CONFIG).model
    with pytest.raises(TeacherCheckpointError,
                       match=rf"teacher checkpoint {rgb} does not fit the teacher: it was "
                             r"trained on 'rgb', but the teacher reads 'depth' \(a unimodal "
                             r'checkpoint \(modality rgb, EncoderDecoder/ResNetV1c-18/'
                             r'DepthwiseSeparableASPPHead\), saved at epoch 50 iter 1000\)\. .*'
                             r'set allow_mismatch=True'):
        check_teacher_checkpoint(rgb, distiller.teacher_input, distiller.teacher)


def test_override_and_matching_teacher_pass(tmp_path):
    distiller = config(FD_CONFIG).model
    rgb = teacher_checkpoint(tmp_path, 'configs/uni/uni_dlv3p-r18-rgb_nyu.py')
    assert check_teacher_checkpoint(rgb, 'depth', distiller.teacher, allow_mismatch=True)[
        'modality'] == 'rgb'
    depth = teacher_checkpoint(tmp_path, 'configs/uni/uni_dlv3p-r18-depth_nyu.py')
    assert check_teacher_checkpoint(depth, 'depth', distiller.teacher)['kind'] == 'unimodal'


def test_other_network_and_distiller_checkpoints_are_refused(tmp_path):
    segformer = teacher_checkpoint(tmp_path, 'configs/mixing/uni_segformer-mitb0-depth_nyu.py')
    with pytest.raises(TeacherCheckpointError, match='its network is EncoderDecoder/'
                                                     'MixVisionTransformer/SegformerHead'):
        check_teacher_checkpoint(segformer, 'depth', config(FD_CONFIG).model.teacher)
    distiller = dict(meta=dict(cfg=config(FD_CONFIG).pretty_text),
                     state_dict={'student.w': torch.zeros(1), 'teacher.w': torch.zeros(1)})
    with pytest.raises(TeacherCheckpointError, match='it is a distiller checkpoint'):
        check_teacher_checkpoint(distiller, 'depth', None)


def test_mmengine_strict_loading_takes_the_rgb_checkpoint_as_depth_teacher():
    """The counterfactual: same network, so a strict load raises nothing."""
    from fdkd_mm.registry import MODELS
    teacher_cfg = config(FD_CONFIG).model.teacher
    teacher_cfg.pretrained = None
    rgb_cfg = config('configs/uni/uni_dlv3p-r18-rgb_nyu.py').model
    rgb_cfg.pretrained = None
    MODELS.build(teacher_cfg).load_state_dict(MODELS.build(rgb_cfg).state_dict(), strict=True)


def shipped_distillers() -> list:
    """(config, teacher config) of every shipped dataset pair or distiller whose teacher_ckpt
    names a run (the dataset pairs in configs/_base_/pairs set the teacher of every method)."""
    pairs = []
    for path in sorted(glob.glob(str(REPO / 'configs' / '**' / '*.py'), recursive=True)):
        text = Path(path).read_text()
        found = re.search(r"teacher_ckpt\s*=\s*'work_dirs/([^/']+)/", text)
        if ('_base_' in path and '/pairs/' not in path) or not found:
            continue
        teachers = glob.glob(str(REPO / 'configs' / '**' / f'{found.group(1)}.py'),
                             recursive=True)
        if teachers:
            pairs.append((path, teachers[0]))
    return pairs


def test_every_shipped_teacher_run_fits_its_distiller():
    """No false alarm on the shipped configs: each teacher config's record matches the
    distiller's teacher (modality and network) through the same check."""
    pairs = shipped_distillers()
    assert len(pairs) >= 10
    for distiller_path, teacher_path in pairs:
        model = Config.fromfile(distiller_path).model
        record = model_record(Config.fromfile(teacher_path))
        checkpoint = dict(meta={MODEL_RECORD_KEY: record}, state_dict={})
        check_teacher_checkpoint(checkpoint, model.teacher_input, model_arch(model.teacher))


# -------------------------------------------------------------------------------- --resume
def train(work: Path, options: list, resume) -> subprocess.CompletedProcess:
    return subprocess.run(train_cmd(work, options, resume), cwd=REPO, env=subprocess_env(),
                          capture_output=True, text=True, timeout=300)


def test_resume_with_nothing_to_resume_is_an_error(nyu_data, tmp_path):
    mistyped = tmp_path / 'no_such_run'
    result = train(mistyped, fd_options(nyu_data, epochs=1), resume='auto')  # bare --resume
    assert result.returncode == 1
    assert f'error: --resume: nothing to resume from in {mistyped} (no last_checkpoint' in \
        result.stderr
    assert not mistyped.exists()  # nothing was trained
    result = train(tmp_path / 'w', fd_options(nyu_data, epochs=1),
                   resume=tmp_path / 'missing.pth')
    assert result.returncode == 1
    assert f'error: --resume {tmp_path / "missing.pth"}: no such checkpoint' in result.stderr


def test_resume_auto_falls_through_loudly(nyu_data, tmp_path):
    cmd = train_cmd(tmp_path, fd_options(nyu_data, epochs=1))
    cmd[cmd.index('--cfg-options'):cmd.index('--cfg-options')] = ['--resume', 'auto']
    result = subprocess.run(cmd, cwd=REPO, env=subprocess_env(), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'no last_checkpoint, so training starts FROM SCRATCH' in result.stdout + \
        result.stderr
    assert (tmp_path / 'epoch_1.pth').is_file()
