"""tools/export_student.py: strict, verified, atomic export of a student and its config."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import load_checkpoint, save_checkpoint

from fdkd_mm.checkpoint.config_data import config_to_data
from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
from fdkd_mm.registry import MODELS
from fdkd_mm.apis.export import export_student

REPO = Path(__file__).resolve().parents[2]
NYU_RGBD = REPO / 'configs' / '_base_' / 'datasets' / 'nyu_rgbd.py'
CLASSES = ['wall', 'floor', 'cabinet', 'bed', 'chair']
PALETTE = [[120, 120, 120], [180, 120, 120], [6, 230, 230], [80, 50, 50], [4, 200, 3]]


def write_run(tmp_path: Path, model: dict, meta: dict = None) -> tuple:
    """A distiller config (the real NYU RGB-D data config + ``model``) and a checkpoint whose
    weights differ from a fresh init, so a silent non-load would be caught."""
    cfg = Config.fromfile(str(NYU_RGBD))
    cfg.model = model
    config = tmp_path / 'distiller_cfg.py'
    cfg.dump(str(config))
    distiller = MODELS.build(model)
    with torch.no_grad():
        for p in distiller.student.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    meta = dict(iter=7, note='kept', dataset_meta=dict(classes=CLASSES, palette=PALETTE),
                **(meta or {}))
    ckpt = tmp_path / 'distiller.pth'
    save_checkpoint(dict(state_dict=distiller.state_dict(), meta=meta), str(ckpt))
    return distiller, config, ckpt


def test_exported_student_loads_strictly_and_predicts_like_the_distiller(
        seg_distiller_cfg, seg_batch, tmp_path):
    # numpy values in the meta (MMEngine checkpoints hold some): plain types after export.
    distiller, config, ckpt = write_run(tmp_path, seg_distiller_cfg, dict(
        scale=np.float64(0.5), shape=np.arange(3)))
    out = tmp_path / 'export' / 'student.pth'
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'export_student.py'), str(ckpt), str(out),
         '--config', str(config)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert 'plain mmseg config' in result.stdout and 'verified' in result.stdout
    assert sorted(os.listdir(out.parent)) == ['student.pth', 'student.py']  # no temp files

    # Plain types only: loadable without fdkd_mm's unpickling loader; numpy became lists.
    exported = torch.load(out, map_location='cpu', weights_only=True)
    assert exported['meta']['iter'] == 7 and exported['meta']['note'] == 'kept'
    assert exported['meta']['scale'] == 0.5 and exported['meta']['shape'] == [0, 1, 2]
    assert exported['meta']['dataset_meta'] == dict(classes=CLASSES, palette=PALETTE)
    # The deploy config as data (what StudentInferencer reads) and as text, for humans.
    deployed = Config.fromfile(str(out.with_suffix('.py')))
    assert Config(exported['meta']['cfg_dict']).to_dict() == deployed.to_dict()
    assert deployed.default_scope == 'mmseg' and 'default_scope' in exported['meta']['cfg']
    assert 'CrossModalDistiller' in exported['meta']['distiller_cfg']
    assert not any(k.startswith(('teacher.', 'student.')) for k in exported['state_dict'])

    student = MODELS.build(seg_distiller_cfg['student'])
    load_checkpoint(student, str(out), map_location='cpu', strict=True)
    distiller.eval(), student.eval()
    with torch.no_grad():
        ours = distiller(**distiller.data_preprocessor(seg_batch, False), mode='predict')
        plain_data = student.data_preprocessor(
            dict(inputs=seg_batch['inputs']['rgb'], data_samples=seg_batch['data_samples']))
        theirs = student(**plain_data, mode='predict')
    for a, b in zip(ours, theirs):
        assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)
        torch.testing.assert_close(a.seg_logits.data, b.seg_logits.data)


def test_export_never_overwrites_its_inputs(seg_distiller_cfg, tmp_path):
    _, config, ckpt = write_run(tmp_path, seg_distiller_cfg)
    before = ckpt.read_bytes(), config.read_text()
    with pytest.raises(ValueError, match='is the input checkpoint'):
        export_student(str(ckpt), str(ckpt), str(config))
    # distiller_cfg.pth would put its config over distiller_cfg.py, the input config.
    with pytest.raises(ValueError, match='is the input config'):
        export_student(str(ckpt), str(tmp_path / 'distiller_cfg.pth'), str(config))
    with pytest.raises(ValueError, match='must end with .pth'):
        export_student(str(ckpt), str(tmp_path / 'student.pt'), str(config))
    assert (ckpt.read_bytes(), config.read_text()) == before


def test_failed_verification_leaves_nothing_behind(seg_distiller_cfg, tmp_path):
    _, config, ckpt = write_run(tmp_path, seg_distiller_cfg)
    out_dir = tmp_path / 'export'
    out_dir.mkdir()
    (out_dir / 'student.pth').write_bytes(b'previous export')
    # The config's student has another head width than the checkpoint's: no strict load.
    cfg = Config.fromfile(str(config))
    cfg.model.student.decode_head.num_classes = 7
    cfg.dump(str(tmp_path / 'wrong_cfg.py'))
    with pytest.raises(RuntimeError, match='decode_head.conv_seg.weight'):
        export_student(str(ckpt), str(out_dir / 'student.pth'), str(tmp_path / 'wrong_cfg.py'))
    assert os.listdir(out_dir) == ['student.pth']  # no config, no temporary file
    assert (out_dir / 'student.pth').read_bytes() == b'previous export'


def test_config_defaults_to_the_data_stored_in_the_checkpoint(seg_distiller_cfg, tmp_path):
    _, config, ckpt = write_run(tmp_path, seg_distiller_cfg)
    checkpoint = load_checkpoint_file(ckpt)
    # What MMEngine's Runner (text) and CheckpointMetaHook (data) store.
    checkpoint['meta'].update(cfg=config.read_text(),
                              cfg_dict=config_to_data(Config.fromfile(str(config))))
    torch.save(checkpoint, ckpt)
    result = export_student(str(ckpt), str(tmp_path / 'out' / 'rgb.pth'))
    assert (result.kind, result.config) == ('mmseg', str(tmp_path / 'out' / 'rgb.py'))
    # Text only (a checkpoint from before configs were stored as data): never executed.
    del checkpoint['meta']['cfg_dict']
    torch.save(checkpoint, ckpt)
    with pytest.raises(ValueError, match=r'only as text .*Pass the distiller config with '
                                         '--config'):
        export_student(str(ckpt), str(tmp_path / 'out' / 'rgb.pth'))
    torch.save(dict(state_dict=checkpoint['state_dict'], meta={}), ckpt)
    with pytest.raises(ValueError, match='holds no config'):
        export_student(str(ckpt), str(tmp_path / 'out' / 'rgb.pth'))


def test_teacher_prefix_exports_the_teacher_with_its_modality(seg_distiller_cfg, tmp_path):
    distiller, config, ckpt = write_run(tmp_path, seg_distiller_cfg)
    result = export_student(str(ckpt), str(tmp_path / 'depth.pth'), str(config),
                            prefix='teacher.')
    deployed = Config.fromfile(result.config)
    # Depth is not an image the toolboxes read: fdkd_mm's kind, depth pipeline only.
    assert result.kind == 'fdkd_mm' and deployed.deploy.modality == 'depth'
    assert [t['type'] for t in deployed.test_pipeline] == [
        'fdkd_mm.LoadDepthFromFile', 'mmseg.LoadAnnotations', 'fdkd_mm.PackMultiModalSegInputs']
    weights = torch.load(result.checkpoint, weights_only=True)['state_dict']
    assert weights.keys() == distiller.teacher.state_dict().keys()
    with pytest.raises(ValueError, match='names neither the student nor the teacher'):
        export_student(str(ckpt), str(tmp_path / 'x.pth'), str(config), prefix='decoupler.')


def test_export_rejects_a_non_distiller_checkpoint(tmp_path):
    ckpt = tmp_path / 'plain.pth'
    torch.save({'state_dict': {'backbone.w': torch.zeros(1)}}, ckpt)
    with pytest.raises(KeyError, match="no state-dict key starts with 'student.'"):
        export_student(str(ckpt), str(tmp_path / 'out.pth'))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        export_student(str(tmp_path / 'missing.pth'), str(tmp_path / 'out.pth'))


@pytest.mark.parametrize('umask, mode', [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_exported_files_follow_the_umask_like_any_file(seg_distiller_cfg, tmp_path, umask, mode):
    # Before: mkstemp's 0600 survived the rename, so other users of a shared machine could not
    # read an exported student.
    _, config, ckpt = write_run(tmp_path, seg_distiller_cfg)
    previous = os.umask(umask)
    try:
        result = export_student(str(ckpt), str(tmp_path / 'out' / 'student.pth'), str(config))
    finally:
        os.umask(previous)
    for path in (result.checkpoint, result.config):
        assert os.stat(path).st_mode & 0o777 == mode, path
