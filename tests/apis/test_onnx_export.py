"""ONNX export: the graphs match the students, missing packages are named, and the export
(onnx / onnxruntime are requirements) matches PyTorch for every student kind or is refused."""
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
    # The export leaves the student as it found it: eval mode in every module (the graph
    # wrapper's own training flag once switched BN to training through the exporter).
    assert not any(module.training for module in model.modules())
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


def _tiny_bert_classifier() -> dict:
    return dict(type='mmpretrain.ImageClassifier',
                data_preprocessor=dict(type='fdkd_mm.TextDataPreprocessor'),
                backbone=dict(type='fdkd_mm.HFTextEncoder', pooling='cls', config=dict(
                    model_type='bert', vocab_size=50, hidden_size=16, num_hidden_layers=2,
                    num_attention_heads=2, intermediate_size=32, max_position_embeddings=32)),
                neck=None, head=dict(type='LinearClsHead', num_classes=3, in_channels=16,
                                     loss=dict(type='CrossEntropyLoss')))


def test_text_export_takes_ids_and_mask_of_any_batch_and_length(tmp_path):
    import onnxruntime as ort
    model = _build(_tiny_bert_classifier())
    ids = torch.tensor([[2, 7, 9, 4, 0, 0]])
    mask = (ids > 0).long()
    out = str(tmp_path / 'text.onnx')
    result = export_onnx(model, torch.stack([ids, mask], dim=1), out, dict(task='text'))
    assert result.max_abs_diff <= 1e-3
    spec = json.load(open(result.preprocess))
    assert spec['inputs'] == dict(input_ids=dict(shape=[1, 6], dtype='int64'),
                                  attention_mask=dict(shape=[1, 6], dtype='int64'))
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    assert [i.name for i in session.get_inputs()] == ['input_ids', 'attention_mask']
    # Two sentences of 9 tokens, the second padded: the trained length was 6.
    ids = torch.tensor([[2, 5, 6, 7, 8, 9, 10, 11, 4], [2, 3, 4, 0, 0, 0, 0, 0, 0]])
    mask = (ids > 0).long()
    got = session.run(['logits'], dict(input_ids=ids.numpy(), attention_mask=mask.numpy()))[0]
    with torch.no_grad():
        expected = model(torch.stack([ids, mask], dim=1), mode='tensor')
        expected = expected[-1] if isinstance(expected, (tuple, list)) else expected
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-4)
    # The mask is an input, not a constant: masking the padded tail changes the logits of a
    # sentence whose tail holds real tokens.
    half = mask.clone()
    half[0, 5:] = 0
    masked = session.run(['logits'], dict(input_ids=ids.numpy(), attention_mask=half.numpy()))[0]
    assert np.abs(masked[0] - got[0]).max() > 1e-4
    np.testing.assert_allclose(masked[1], got[1], atol=1e-5)


def test_dynamo_exporter_takes_over_when_torchscript_fails(tmp_path, monkeypatch):
    """A torch whose TorchScript exporter is gone or fails: the dynamo exporter's graph is
    checked the same way."""
    real_export = torch.onnx.export
    calls = []

    def export(*args, dynamo=True, **kwargs):
        calls.append(dynamo)
        if not dynamo:
            raise RuntimeError('TorchScript exporter unavailable')
        return real_export(*args, dynamo=True, **kwargs)

    monkeypatch.setattr(torch.onnx, 'export', export)
    model = _build(tiny_classifier(3, mean=[0.0] * 3, std=[1.0] * 3))
    x = torch.randn(1, 3, 32, 32)
    out = str(tmp_path / 'dynamo.onnx')
    result = export_onnx(model, x, out, dict(task='cls'), latency_repeats=0)
    assert calls == [False, True] and result.max_abs_diff <= 1e-3
    import onnxruntime as ort
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    batch = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        expected = graph_for(model, batch)[0](batch).numpy()
    np.testing.assert_allclose(session.run(['logits'], {'input': batch.numpy()})[0], expected,
                               atol=1e-4)
    assert not any(module.training for module in model.modules())
