"""ONNX export of an exported student, verified with ONNX Runtime on a real sample.

``tools/export_student.py ... --onnx`` calls :func:`export_onnx_for` after the student's
``.pth`` / ``.py`` are written. The graph takes the *preprocessed* input (normalised, the
layout the student's data preprocessor produces) and returns logits:

* classifiers on images / frames / spectrograms / arrays: ``input`` (N, C, ...) float32 ->
  ``logits`` (N, K); the batch axis is dynamic;
* segmentors: ``input`` (N, C, H, W) -> ``logits`` (N, K, H, W) at the input's size; batch,
  height and width are dynamic;
* text students: ``input_ids`` and ``attention_mask`` (N, L) int64 -> ``logits`` (N, K); batch
  and length are dynamic.

What happens before the graph (decoding, resizing, spectrogram, mean / std, channel order) is
written beside it as ``<name>.preprocess.json`` (docs/your_own_data.md explains its fields).
The export is checked before it is kept: ONNX Runtime and PyTorch run the same real sample of
the test split (and a batch of two, for the dynamic batch axis); a maximum absolute difference
of the logits above ``tolerance`` refuses the export and leaves no file.
"""
import copy
import importlib
import json
import os
import os.path as osp
import time
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import torch
from torch import nn

from fdkd_mm.errors import ExportError

#: Python packages the export needs, importable name -> pip name.
ONNX_PACKAGES = {'onnx': 'onnx', 'onnxruntime': 'onnxruntime'}
OPSET = 17


@dataclass
class OnnxResult:
    """What :func:`export_onnx` wrote and measured.

    Attributes:
        path: The ``.onnx`` file.
        preprocess: The preprocessing JSON beside it.
        max_abs_diff: Largest |ONNX Runtime - PyTorch| over the logits of the checked batches.
        tolerance: The limit it was checked against.
        torch_ms: Median CPU latency of the PyTorch graph module, batch 1 (ms).
        onnx_ms: Median CPU latency of ONNX Runtime, batch 1 (ms).
        inputs: Input names and shapes of the checked sample.
    """
    path: str
    preprocess: str
    max_abs_diff: float
    tolerance: float
    torch_ms: float
    onnx_ms: float
    inputs: dict


def require_onnx() -> tuple:
    """Import ``onnx`` and ``onnxruntime``, or say which to install.

    Returns:
        The two modules.

    Raises:
        ExportError: One of them is not installed (names the pip packages).
    """
    missing = []
    modules = []
    for module, package in ONNX_PACKAGES.items():
        try:
            modules.append(importlib.import_module(module))
        except ImportError:
            missing.append(package)
    if missing:
        raise ExportError(f'ONNX export needs the Python packages {missing} (pip install '
                          f'{" ".join(missing)}; listed in requirements/runtime.txt). The '
                          'student .pth and .py were written; only the .onnx is missing.')
    return tuple(modules)


class ClassifierGraph(nn.Module):
    """Preprocessed input -> class logits of an mmpretrain classifier."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x, mode='tensor')
        return out[-1] if isinstance(out, (tuple, list)) else out


class SegmentorGraph(nn.Module):
    """Preprocessed image -> per-pixel logits at the input's size (mmseg segmentor)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.model(x, mode='tensor')
        return nn.functional.interpolate(logits, size=x.shape[-2:], mode='bilinear',
                                         align_corners=False)


class TextGraph(nn.Module):
    """Token ids and attention mask -> class logits of a text classifier."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = self.model(torch.stack([input_ids, attention_mask], dim=1), mode='tensor')
        return out[-1] if isinstance(out, (tuple, list)) else out


def graph_for(model: nn.Module, batch: torch.Tensor) -> tuple[nn.Module, dict, dict]:
    """The graph module of a student, its example inputs and dynamic axes.

    Args:
        model: The student (eval mode).
        batch: One preprocessed batch (what its data preprocessor returns).

    Returns:
        ``(graph, inputs, dynamic_axes)``, ``inputs`` mapping input names to tensors.
    """
    # The wrapper is put in eval mode too: a new nn.Module starts in training mode, and the
    # TorchScript exporter restores the mode of the module it was given after exporting,
    # which, recursively, would switch the student's BN and dropout to training.
    if not batch.is_floating_point() and batch.dim() == 3 and batch.shape[1] == 2:
        inputs = dict(input_ids=batch[:, 0].contiguous(), attention_mask=batch[:, 1].contiguous())
        axes = {name: {0: 'batch', 1: 'length'} for name in inputs}
        axes['logits'] = {0: 'batch'}
        return TextGraph(model).eval(), inputs, axes
    if hasattr(model, 'decode_head'):
        axes = dict(input={0: 'batch', 2: 'height', 3: 'width'},
                    logits={0: 'batch', 2: 'height', 3: 'width'})
        return SegmentorGraph(model).eval(), dict(input=batch), axes
    return ClassifierGraph(model).eval(), dict(input=batch), dict(input={0: 'batch'},
                                                                  logits={0: 'batch'})


def _export_graph(graph: nn.Module, inputs: dict, axes: dict, path: str) -> None:
    args = tuple(inputs.values())
    kwargs = dict(input_names=list(inputs), output_names=['logits'], dynamic_axes=axes,
                  opset_version=OPSET)
    try:
        torch.onnx.export(graph, args, path, dynamo=False, **kwargs)
    except TypeError as error:  # a torch without the dynamo switch: the TorchScript exporter
        if 'dynamo' not in str(error):
            raise
        torch.onnx.export(graph, args, path, **kwargs)
    except (RuntimeError, NotImplementedError) as error:
        # A torch whose TorchScript exporter is gone or fails: its dynamo exporter (onnxscript).
        try:
            torch.onnx.export(graph, args, path, dynamo=True, **kwargs)
        except ImportError as missing:
            raise ExportError(f'the TorchScript ONNX exporter failed ({error}) and the dynamo '
                              f'exporter needs onnxscript (pip install onnxscript): '
                              f'{missing}') from missing


def _median_ms(run, repeats: int = 10) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def export_onnx(model: nn.Module, batch: torch.Tensor, out_path: str, preprocess: dict,
                tolerance: float = 1e-3, latency_repeats: int = 10) -> OnnxResult:
    """Export a student to ONNX and check it against PyTorch on ``batch``.

    Args:
        model: The student, weights loaded.
        batch: A preprocessed real sample, batch of 1.
        out_path: The ``.onnx`` file to write.
        preprocess: What the JSON beside it says (:func:`preprocessing_spec`).
        tolerance: The largest accepted |ONNX Runtime - PyTorch| of a logit.
        latency_repeats: Timed runs of each side for the latencies (0: not timed, NaN;
            tools/analysis/benchmark_onnx.py times them itself, interleaved).

    Returns:
        What was written and measured.

    Raises:
        ExportError: A package is missing, the export fails, or the difference exceeds
            ``tolerance`` (no file is left then).
    """
    onnx, ort = require_onnx()
    model = model.eval()
    graph, inputs, axes = graph_for(model, batch)
    directory = osp.dirname(osp.abspath(out_path)) or '.'
    os.makedirs(directory, exist_ok=True)
    tmp = out_path + '.tmp'
    json_path = osp.splitext(out_path)[0] + '.preprocess.json'
    try:
        with torch.no_grad():
            try:
                _export_graph(graph, inputs, axes, tmp)
            except Exception as error:
                raise ExportError(f'torch.onnx.export failed for {type(model).__name__}: '
                                  f'{type(error).__name__}: {error}') from error
            onnx.checker.check_model(tmp)
            session = ort.InferenceSession(tmp, providers=['CPUExecutionProvider'])
            worst = 0.0
            pair = {name: torch.cat([value, value.flip(0) if value.is_floating_point()
                                     else value]) for name, value in inputs.items()}
            for feed in (inputs, pair):
                expected = graph(*feed.values()).numpy()
                got = session.run(['logits'], {k: v.numpy() for k, v in feed.items()})[0]
                if got.shape != expected.shape:
                    raise ExportError(f'ONNX Runtime gives logits of shape {got.shape}, '
                                      f'PyTorch {expected.shape}')
                worst = max(worst, float(np.abs(got - expected).max()))
            if not worst <= tolerance:
                raise ExportError(f'ONNX Runtime and PyTorch differ by up to {worst:.3g} on '
                                  f'a real sample, above the tolerance {tolerance:g}: the '
                                  'export is refused')
            torch_ms = onnx_ms = float('nan')
            if latency_repeats > 0:
                torch_ms = _median_ms(lambda: graph(*inputs.values()), latency_repeats)
                numpy_inputs = {k: v.numpy() for k, v in inputs.items()}
                onnx_ms = _median_ms(lambda: session.run(['logits'], numpy_inputs),
                                     latency_repeats)
        os.replace(tmp, out_path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    spec = dict(preprocess, inputs={k: dict(shape=list(v.shape), dtype=str(v.dtype)
                                            .replace('torch.', ''))
                                    for k, v in inputs.items()},
                dynamic_axes=axes, output='logits', opset=OPSET,
                check=dict(max_abs_diff=worst, tolerance=tolerance))
    with open(json_path, 'w') as handle:
        json.dump(spec, handle, indent=2, default=str)
    return OnnxResult(out_path, json_path, worst, tolerance, torch_ms, onnx_ms,
                      {k: tuple(v.shape) for k, v in inputs.items()})


def _plain(value: Any) -> Any:
    if hasattr(value, 'to_dict'):
        value = value.to_dict()
    return copy.deepcopy(value)


def preprocessing_spec(deploy_cfg, student_cfg: dict) -> dict:
    """What an application does to a file before the graph: the JSON beside the model.

    Args:
        deploy_cfg: The exported student's config (its ``test_pipeline``, ``metainfo``).
        student_cfg: The student's model config (its ``data_preprocessor``).

    Returns:
        ``pipeline`` (the test transforms, file to packed tensor), ``normalize`` (the data
        preprocessor: mean, std, channel flip; applied after packing, per channel),
        ``classes`` and the task.
    """
    pipeline = [step for step in _plain(deploy_cfg.get('test_pipeline') or [])
                if 'LoadAnnotations' not in str(step.get('type'))
                and 'LoadLabelMap' not in str(step.get('type'))]
    pre = _plain(student_cfg.get('data_preprocessor') or {})
    normalize = {key: pre[key] for key in ('type', 'mean', 'std', 'to_rgb', 'bgr_to_rgb',
                                           'rgb_to_bgr', 'pad_val', 'size_divisor', 'size')
                 if key in pre}
    metainfo = _plain(deploy_cfg.get('metainfo') or {})
    return dict(task='segmentation' if 'decode_head' in student_cfg else 'classification',
                classes=list(metainfo.get('classes') or []), pipeline=pipeline,
                normalize=normalize,
                note='Run `pipeline` on one file to get the packed tensor (C, ...), apply '
                     '`normalize` ((x - mean) / std per channel, BGR->RGB first when to_rgb / '
                     'bgr_to_rgb is true), add the batch axis, feed `inputs`; logits come out.')


def real_sample(distiller_cfg, role: str = 'student', index: int = 0) -> tuple:
    """One sample of the distiller config's test split, packed for ``role``'s modality.

    Args:
        distiller_cfg: The distiller's config (test or val dataloader with a pipeline).
        role: ``'student'`` or ``'teacher'``.
        index: Which sample.

    Returns:
        ``(inputs, data_sample)`` of the network's modality.

    Raises:
        ExportError: The config has no test data, or it cannot be read.
    """
    from mmengine.registry import DefaultScope

    from fdkd_mm.registry import DATASETS
    loader = distiller_cfg.get('test_dataloader') or distiller_cfg.get('val_dataloader')
    if not loader or 'dataset' not in loader:
        raise ExportError('the distiller config has no test_dataloader with a dataset: the '
                          'ONNX check runs on a real sample of it')
    try:
        with DefaultScope.overwrite_default_scope('fdkd_mm'):
            dataset = DATASETS.build(_plain(loader['dataset']))
            sample = dataset[index]
    except Exception as error:
        raise ExportError(f'cannot read a test sample for the ONNX check (set the data root '
                          f'with --cfg-options?): {type(error).__name__}: {error}') from error
    inputs = sample['inputs']
    if isinstance(inputs, dict):
        inputs = inputs[distiller_cfg.model[f'{role}_input']]
    return inputs, sample['data_samples']


def export_onnx_for(export_result, distiller_cfg, out_path: Optional[str] = None,
                    tolerance: float = 1e-3, role: str = 'student') -> OnnxResult:
    """ONNX of a student written by :func:`fdkd_mm.apis.export.export_student`.

    Args:
        export_result: Its :class:`~fdkd_mm.apis.export.ExportResult`.
        distiller_cfg: The distiller's config (for the real test sample).
        out_path: The ``.onnx`` file (default: the student's ``.pth`` with ``.onnx``).
        tolerance: Largest accepted logit difference.
        role: The exported network.

    Returns:
        What was written and measured.
    """
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope
    require_onnx()  # before any work: a missing package is named first
    deploy_cfg = Config.fromfile(export_result.config)
    from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
    checkpoint = load_checkpoint_file(export_result.checkpoint, map_location='cpu')
    with DefaultScope.overwrite_default_scope(deploy_cfg.get('default_scope', 'fdkd_mm')):
        model = MODELS.build(deploy_cfg.model)
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    model.eval()
    inputs, data_sample = real_sample(distiller_cfg, role)
    with torch.no_grad():
        batch = model.data_preprocessor(dict(inputs=[inputs], data_samples=[data_sample]),
                                        False)['inputs']
    out_path = out_path or osp.splitext(export_result.checkpoint)[0] + '.onnx'
    spec = preprocessing_spec(deploy_cfg, _plain(deploy_cfg.model))
    return export_onnx(model, batch, out_path, spec, tolerance)


def main_onnx(args, export_result) -> None:
    """``tools/export_student.py --onnx``: export, check, print the numbers.

    Args:
        args: The tool's arguments (``checkpoint``, ``config``, ``prefix``, ``onnx``).
        export_result: What the student export wrote.

    Raises:
        ExportError: See :func:`export_onnx`.
    """
    from fdkd_mm.apis.export import _load_config, role_of
    from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
    meta = {}
    if args.config is None:
        meta = dict(load_checkpoint_file(args.checkpoint, map_location='cpu').get('meta') or {})
    cfg = _load_config(args.config, meta, args.checkpoint)
    result = export_onnx_for(export_result, cfg, tolerance=args.onnx, role=role_of(args.prefix))
    print(f'wrote {result.path} and {result.preprocess}; ONNX Runtime vs PyTorch on a real '
          f'test sample: max abs diff {result.max_abs_diff:.3g} (tolerance '
          f'{result.tolerance:g}); CPU latency batch 1: PyTorch {result.torch_ms:.2f} ms, '
          f'ONNX Runtime {result.onnx_ms:.2f} ms')
