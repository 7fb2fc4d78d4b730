"""ONNX export: the graphs match the students, missing packages are named, and (where onnx
and onnxruntime are installed) the export matches PyTorch on a real sample or is refused."""
import importlib.util
import json
import os
import sys
import types

import numpy as np
import pytest
import torch
from mmengine.config import Config

from fdkd_mm.apis.onnx_export import (ClassifierGraph, SegmentorGraph, TextGraph, export_onnx,
                                      graph_for, preprocessing_spec, require_onnx)
from fdkd_mm.errors import ExportError
from fdkd_mm.registry import MODELS
from fdkd_mm.testing.tiny_models import tiny_classifier, tiny_segmentor

ONNX_NAMES = ('onnx', 'onnxruntime')
HAS_ONNX = all(importlib.util.find_spec(name) for name in ONNX_NAMES)


def _build(cfg: dict):
    torch.manual_seed(0)
    return MODELS.build(cfg).eval()


@pytest.mark.parametrize('hidden', [('onnxruntime', ), ('onnx', 'onnxruntime')])
def test_missing_packages_are_named(monkeypatch, hidden):
    for name in set(ONNX_NAMES) - set(hidden):  # the others importable, installed or not
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    for name in hidden:
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    with pytest.raises(ExportError) as caught:
        require_onnx()
    assert f'{list(hidden)}' in str(caught.value)
    assert 'pip install ' + ' '.join(hidden) in str(caught.value)


def test_classifier_graph_is_the_model():
    model = _build(tiny_classifier(3, mean=[0.0] * 3, std=[1.0] * 3))
    x = torch.randn(2, 3, 32, 32)
    graph, inputs, axes = graph_for(model, x)
    assert isinstance(graph, ClassifierGraph) and list(inputs) == ['input']
    assert axes == dict(input={0: 'batch'}, logits={0: 'batch'})
    with torch.no_grad():
        expected = model.head.fc(model.neck(model.backbone(x))[-1])
        torch.testing.assert_close(graph(x), expected)


def test_segmentor_graph_gives_full_size_logits():
    model = _build(tiny_segmentor(3, [0.0] * 3, [1.0] * 3, bgr_to_rgb=False))
    x = torch.randn(1, 3, 32, 48)
    graph, inputs, axes = graph_for(model, x)
    assert isinstance(graph, SegmentorGraph)
    assert axes['input'] == {0: 'batch', 2: 'height', 3: 'width'}
    with torch.no_grad():
        logits = graph(x)
        meta = [dict(img_shape=(32, 48), ori_shape=(32, 48), pad_shape=(32, 48))]
        expected = model.inference(x, meta)  # mmseg's own resize to the input size
    assert logits.shape == (1, 5, 32, 48)
    torch.testing.assert_close(logits, expected)


def test_text_graph_splits_ids_and_mask():
    class Recorder(torch.nn.Module):
        def forward(self, tokens, mode):
            self.seen = tokens
            return tokens.float().sum(-1)

    model = Recorder()
    tokens = torch.tensor([[[2, 5, 3, 0], [1, 1, 1, 0]]])
    graph, inputs, axes = graph_for(model, tokens)
    assert isinstance(graph, TextGraph) and list(inputs) == ['input_ids', 'attention_mask']
    assert torch.equal(inputs['input_ids'], tokens[:, 0])
    graph(*inputs.values())
    assert torch.equal(model.seen, tokens)


def test_preprocessing_spec_names_normalisation_and_pipeline():
    deploy = Config(dict(
        test_pipeline=[dict(type='fdkd_mm.LoadModality', name='rgb', kind='image'),
                       dict(type='fdkd_mm.LoadLabelMap'),
                       dict(type='fdkd_mm.ResizeModalities', scale=(32, 24)),
                       dict(type='fdkd_mm.PackModalityInputs', modalities=('rgb', ))],
        metainfo=dict(classes=('a', 'b'))))
    student = dict(type='mmpretrain.ImageClassifier', data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', mean=[1, 2, 3], std=[4, 5, 6], to_rgb=True))
    spec = preprocessing_spec(deploy, student)
    assert spec['normalize'] == dict(type='mmpretrain.ClsDataPreprocessor', mean=[1, 2, 3],
                                     std=[4, 5, 6], to_rgb=True)
    assert [step['type'] for step in spec['pipeline']] == [
        'fdkd_mm.LoadModality', 'fdkd_mm.ResizeModalities', 'fdkd_mm.PackModalityInputs']
    assert spec['classes'] == ['a', 'b'] and spec['task'] == 'classification'


@pytest.mark.skipif(not HAS_ONNX, reason='onnx / onnxruntime not installed')
@pytest.mark.parametrize('kind', ['cls', 'seg'])
def test_export_matches_pytorch_and_refuses_above_tolerance(tmp_path, kind):
    if kind == 'cls':
        model = _build(tiny_classifier(3, mean=[0.0] * 3, std=[1.0] * 3))
        x = torch.randn(1, 3, 32, 32)
    else:
        model = _build(tiny_segmentor(3, [0.0] * 3, [1.0] * 3, bgr_to_rgb=False))
        x = torch.randn(1, 3, 32, 48)
    out = str(tmp_path / 'student.onnx')
    result = export_onnx(model, x, out, dict(task=kind), tolerance=1e-3)
    assert result.max_abs_diff <= 1e-3 and os.path.isfile(out)
    spec = json.load(open(result.preprocess))
    assert spec['check']['max_abs_diff'] == result.max_abs_diff
    import onnxruntime as ort
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    bigger = torch.randn(3, *x.shape[1:-2], *((40, 56) if kind == 'seg' else x.shape[-2:]))
    got = session.run(['logits'], {'input': bigger.numpy()})[0]  # dynamic axes
    with torch.no_grad():
        expected = graph_for(model, bigger)[0](bigger).numpy()
    assert np.abs(got - expected).max() <= 1e-3
    refused = str(tmp_path / 'refused.onnx')
    with pytest.raises(ExportError, match='above the tolerance'):
        export_onnx(model, x, refused, dict(task=kind), tolerance=-1.0)
    assert not os.path.exists(refused) and not os.path.exists(refused + '.tmp')
