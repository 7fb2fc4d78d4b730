"""docs/your_own_data.md, followed on tiny real files: two folders of PNGs, the page's own
manifest script, its new_pair.py command, a teacher and an FD-CMKD student trained two
iterations each, the export (ONNX included, run with ONNX Runtime on a hand-preprocessed
file), and the exported student run on a file."""
import os
import os.path as osp
import re
import runpy
import shlex
import sys

import cv2
import numpy as np
import pytest
from mmengine.runner import Runner

from fdkd_mm.testing.manifest_runs import tiny_cfg
from fdkd_mm.testing.synthetic_manifest import COLOURS, DISTANCES_MM

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAGE = osp.join(REPO, 'docs', 'your_own_data.md')


def _blocks(text: str) -> list[str]:
    return re.findall(r'^```[a-z]*\n(.*?)^```', text, re.MULTILINE | re.DOTALL)


def _command(blocks: list[str], tool: str) -> list[str]:
    block = next(b for b in blocks if b.lstrip().startswith(f'python {tool}'))
    return shlex.split(block.replace('\\\n', ' '))[2:]  # drop "python tools/x.py"


def _run_tool(tool: str, args: list[str], monkeypatch) -> int:
    monkeypatch.setattr(sys, 'argv', [tool, *args])
    try:
        runpy.run_path(osp.join(REPO, tool), run_name='__main__')
    except SystemExit as done:
        return done.code or 0
    return 0


def _write_two_folders(root: str) -> None:
    """rgb/<class>/<name>.png and depth/<class>/<name>.png, 5 per class, as on the page."""
    rng = np.random.default_rng(0)
    for label, name in enumerate(('kitchen', 'office')):
        for modality in ('rgb', 'depth'):
            os.makedirs(osp.join(root, modality, name), exist_ok=True)
        for index in range(5):
            rgb = np.clip(np.asarray(COLOURS[label]) + rng.integers(-20, 21, (20, 28, 3)), 0,
                          255).astype(np.uint8)
            depth = (DISTANCES_MM[label] + rng.integers(-50, 51, (20, 28))).astype(np.uint16)
            cv2.imwrite(osp.join(root, 'rgb', name, f'{index:04d}.png'), rgb)
            cv2.imwrite(osp.join(root, 'depth', name, f'{index:04d}.png'), depth)


def _check_onnx(student: str, printed_diff: float) -> tuple[str, str]:
    """The written .onnx on the first test file, preprocessed by hand as the JSON says: its
    logits are the PyTorch student's; returns the file and the class it names."""
    import json

    import onnxruntime as ort
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from fdkd_mm.registry import MODELS
    spec = json.load(open(student[:-4] + '.preprocess.json'))
    mean, std = np.array([123.675, 116.28, 103.53]), np.array([58.395, 57.12, 57.375])
    assert spec['normalize']['mean'] == list(mean) and spec['normalize']['to_rgb'] is True
    assert [step['type'] for step in spec['pipeline']] == [
        'fdkd_mm.LoadModality', 'fdkd_mm.ResizeModalities', 'fdkd_mm.PackModalityInputs']
    assert spec['classes'] == ['kitchen', 'office']
    assert spec['inputs'] == dict(input=dict(shape=[1, 3, 32, 32], dtype='float32'))
    assert spec['check']['max_abs_diff'] == pytest.approx(printed_diff, rel=1e-2, abs=1e-12)
    first_val = next(line for line in open('data/mine/manifest.csv').read().splitlines()
                     if line.endswith(',val'))
    path = osp.join('data/mine', first_val.split(',')[2])
    rgb = cv2.resize(cv2.imread(path), (32, 32), interpolation=cv2.INTER_LINEAR)[..., ::-1]
    x = ((rgb - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)
    session = ort.InferenceSession(student[:-4] + '.onnx', providers=['CPUExecutionProvider'])
    logits = session.run(['logits'], {'input': np.concatenate([x, x[:, :, ::-1]])})[0]
    cfg = Config.fromfile(student[:-4] + '.py')
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'fdkd_mm')):
        model = MODELS.build(cfg.model).eval()
    model.load_state_dict(torch.load(student, weights_only=True)['state_dict'])
    with torch.no_grad():
        expected = model(torch.from_numpy(np.concatenate([x, x[:, :, ::-1]])), mode='tensor')
    assert logits.shape == (2, 2)  # the dynamic batch axis
    np.testing.assert_allclose(logits, expected.numpy(), atol=1e-4)
    return path, spec['classes'][int(logits[0].argmax())]


def test_the_page_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = _blocks(open(PAGE).read())
    _write_two_folders('data/mine')
    # 1. The page's manifest script, as written.
    script = next(b for b in blocks if 'csv.DictWriter' in b)
    exec(compile(script, 'your_own_data.md', 'exec'), {})
    manifest = open('data/mine/manifest.csv').read().splitlines()
    assert manifest[0] == 'id,depth,rgb,label,split' and len(manifest) == 11
    assert sum(line.endswith(',val') for line in manifest) == 2

    # 2. The page's new_pair.py command, with a small image size and one epoch.
    args = _command(blocks, 'tools/new_pair.py')
    assert _run_tool('tools/new_pair.py', args + ['--size', '32', '32', '--epochs', '1',
                                                  '--batch-size', '4'], monkeypatch) == 0
    printed = capsys.readouterr().out
    steps = re.findall(r'^  \d\. python (\S+) (.*)$', printed, re.MULTILINE)
    assert [tool for tool, _ in steps] == ['tools/train.py', 'tools/train.py',
                                           'tools/export_student.py']
    # The page's check_data.py command on the generated pair: every sample decodes.
    check = _command(blocks, 'tools/check_data.py')
    assert _run_tool('tools/check_data.py', check + ['--no-progress'], monkeypatch) == 0
    assert 'all samples decoded' in capsys.readouterr().out

    # 3. The teacher, then FD-CMKD: the printed commands' configs, two iterations each
    #    (8 training rows, batch 4), from scratch (no download), on CPU.
    uni_config = steps[0][1]
    runner = Runner.from_cfg(tiny_cfg(uni_config, 'work_dirs/uni_depth_mine', distiller=False))
    runner.train()
    teacher_ckpt = 'work_dirs/uni_depth_mine/epoch_1.pth'
    assert osp.isfile(teacher_ckpt) and runner.iter == 2
    fdkd_config = steps[1][1]
    cfg = tiny_cfg(fdkd_config, 'work_dirs/fdkd_depth_to_rgb_mine', teacher_ckpt=teacher_ckpt)
    assert cfg.model.teacher_ckpt == teacher_ckpt
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2 and osp.isfile('work_dirs/fdkd_depth_to_rgb_mine/epoch_1.pth')
    del runner

    # 4. The printed export command (with --onnx): the real export, checked by ONNX Runtime.
    export_args = shlex.split(steps[2][1])
    assert '--onnx' in export_args
    assert _run_tool('tools/export_student.py', export_args, monkeypatch) == 0
    out = capsys.readouterr().out
    diff = float(re.search(r'max abs diff (\S+)', out).group(1))
    assert diff <= 1e-3
    student = 'work_dirs/fdkd_depth_to_rgb_mine/export/student.pth'
    assert osp.isfile(student) and osp.isfile(student[:-4] + '.py')
    checked_file, onnx_class = _check_onnx(student, diff)

    # The exported student runs on an RGB file and names one of the classes.
    from fdkd_mm.apis import StudentInferencer
    inferencer = StudentInferencer(student[:-4] + '.py', student, device='cpu')
    prediction = inferencer('data/mine/rgb/office/0000.png')['predictions'][0]
    assert prediction['pred_class'] in ('kitchen', 'office')
    # ... and on the file the ONNX graph classified, the same class.
    assert inferencer(checked_file)['predictions'][0]['pred_class'] == onnx_class
