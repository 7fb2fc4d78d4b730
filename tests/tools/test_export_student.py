"""tools/export_student.py: the exported student loads strictly and predicts the same."""
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import load_checkpoint, save_checkpoint

from fdkd_mm.models.builder import build_scoped
from fdkd_mm.registry import MODELS

REPO = Path(__file__).resolve().parents[2]


def test_exported_student_loads_strictly_and_predicts_like_the_distiller(
        seg_distiller_cfg, seg_batch, tmp_path):
    distiller = MODELS.build(seg_distiller_cfg)
    # Make the weights differ from a fresh init so a silent non-load would be caught.
    with torch.no_grad():
        for p in distiller.student.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    ckpt = tmp_path / 'distiller.pth'
    save_checkpoint(dict(state_dict=distiller.state_dict(), meta=dict(iter=7, note='kept')),
                    str(ckpt))
    config = tmp_path / 'distiller_cfg.py'
    Config(dict(model=seg_distiller_cfg)).dump(str(config))
    out = tmp_path / 'student.pth'

    result = subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'export_student.py'), str(ckpt), str(out),
         '--config', str(config)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert 'verified strict load' in result.stdout

    exported = torch.load(out, map_location='cpu', weights_only=False)
    assert exported['meta']['iter'] == 7 and exported['meta']['note'] == 'kept'
    assert not any(k.startswith(('teacher.', 'student.')) for k in exported['state_dict'])

    student = build_scoped(seg_distiller_cfg['student'])
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


def test_export_rejects_a_non_distiller_checkpoint(tmp_path):
    import pytest

    from fdkd_mm.utils import export_student
    ckpt = tmp_path / 'plain.pth'
    torch.save({'state_dict': {'backbone.w': torch.zeros(1)}}, ckpt)
    with pytest.raises(KeyError, match="no state-dict key starts with 'student.'"):
        export_student(str(ckpt), str(tmp_path / 'out.pth'))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        export_student(str(tmp_path / 'missing.pth'), str(tmp_path / 'out.pth'))
