"""ONNX export of every student kind we ship: ONNX-vs-PyTorch difference and CPU latency.

For each kind, the student network of the shipped configs (random weights, no downloads) is
exported with :func:`fdkd_mm.apis.onnx_export.export_onnx` (the path of
``tools/export_student.py --onnx``: TorchScript exporter, checked with ONNX Runtime on
batches of 1 and 2), then PyTorch (``torch.no_grad``, eval) and ONNX Runtime (CPU execution
provider) run the *same* batch-1 input, interleaved round by round; medians are reported side
by side. ``--threads`` sets both torch's and ONNX Runtime's intra-op threads.

Kinds (input sizes of the shipped configs unless ``--small``):

* ``seg``: DeepLabV3+ ResNet-18 (v1c) NYU student, RGB or depth (same network), 3x240x320;
* ``image``: ResNet-18 image student (AV-MNIST / a manifest image), 3x224x224;
* ``frames``: ResNet-18 over 3 frames folded into the batch (VGGSound visual), 3x3x224x224;
* ``audio``: ResNet-18 on a 1x257x188 log-spectrogram (CREMA-D);
* ``mbv2``: MobileNetV2 1.0x CrisisMMD image student, 3x224x224;
* ``text``: BERT-base CrisisMMD text student, input ids + attention mask of 128 tokens.

Example:
    OMP_NUM_THREADS=1 python tools/analysis/benchmark_onnx.py --threads 1 --repeats 20 \\
        --out work_dirs/bench_onnx.json
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
import time
import warnings

import numpy as np
import torch
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_distill import offline_model_cfg  # noqa: E402

MODELS_DIR = osp.join(REPO, 'configs', '_base_', 'models')
KINDS = ('seg', 'image', 'frames', 'audio', 'mbv2', 'text')


def student_and_input(kind: str, small: bool = False) -> tuple[dict, torch.Tensor, str]:
    """The student's model config, a preprocessed batch-1 input and a row label.

    Args:
        kind: One of :data:`KINDS`.
        small: Shrink inputs (and BERT) for a smoke run.

    Returns:
        ``(model_cfg, batch, label)``.
    """
    gen = torch.Generator().manual_seed(0)
    if kind == 'seg':
        cfg = Config.fromfile(osp.join(MODELS_DIR, 'nyu_deeplabv3plus_r18.py')).model.to_dict()
        cfg.pop('auxiliary_head', None)  # a training-only head, not part of the export
        size = (48, 64) if small else (240, 320)
        return (cfg, torch.randn(1, 3, *size, generator=gen),
                f'DeepLabV3+ R18 seg (RGB/depth), 3x{size[0]}x{size[1]}')
    if kind == 'mbv2' or kind == 'text':
        base = Config.fromfile(osp.join(MODELS_DIR, 'crisismmd_bert_mobilenetv2.py'))
        if kind == 'mbv2':
            cfg = base.image_classifier.to_dict()
            cfg['head']['num_classes'] = 2
            side = 64 if small else 224
            return (cfg, torch.randn(1, 3, side, side, generator=gen),
                    f'MobileNetV2 image cls, 3x{side}x{side}')
        cfg = base.text_classifier.to_dict()
        cfg['head']['num_classes'] = 2
        bert = dict(model_type='bert')  # transformers' defaults are BERT-base's sizes
        if small:
            bert.update(hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=128)
            cfg['head']['in_channels'] = 64
        cfg['backbone'] = dict(type='fdkd_mm.HFTextEncoder', config=bert, pooling='cls')
        length = 16 if small else 128
        ids = torch.randint(1000, 30000, (1, length), generator=gen)
        mask = torch.ones(1, length, dtype=torch.long)
        mask[:, length * 3 // 4:] = 0  # a padded tail, as the tokenizer leaves it
        ids[:, length * 3 // 4:] = 0
        label = ('BERT (tiny) text cls' if small else 'BERT-base text cls') + \
            f', ids+mask x{length}'
        return cfg, torch.stack([ids, mask], dim=1), label
    base = Config.fromfile(osp.join(MODELS_DIR, 'av_resnet18.py'))
    if kind == 'audio':
        cfg = base.audio_classifier.to_dict()
        cfg['head']['num_classes'] = 6
        shape = (1, 257, 48) if small else (1, 257, 188)
        return (cfg, torch.randn(1, *shape, generator=gen),
                f'ResNet-18 audio cls, {shape[0]}x{shape[1]}x{shape[2]}')
    cfg = base.visual_classifier.to_dict()
    cfg['head']['num_classes'] = 10
    side = 64 if small else 224
    if kind == 'frames':
        return (cfg, torch.randn(1, 3, 3, side, side, generator=gen),
                f'ResNet-18 frames cls, 3x3x{side}x{side}')
    # The image student: the same ResNet-18 on one image (no frame folding).
    cfg['backbone'] = dict(type='mmpretrain.ResNet', depth=18)
    cfg['neck'] = dict(type='GlobalAveragePooling')
    cfg['data_preprocessor'] = dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                                    std=[58.395, 57.12, 57.375], to_rgb=True)
    return (cfg, torch.randn(1, 3, side, side, generator=gen),
            f'ResNet-18 image cls, 3x{side}x{side}')


def build(cfg: dict) -> torch.nn.Module:
    """Build a student from its model config with random weights, eval mode."""
    import fdkd_mm  # noqa: F401  registers fdkd_mm's modules
    from mmengine.registry import DefaultScope

    from fdkd_mm.registry import MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('fdkd_mm'):
        model = MODELS.build(offline_model_cfg(cfg))
    return model.eval()


def bench_kind(kind: str, threads: int, repeats: int, tolerance: float, small: bool,
               workdir: str) -> dict:
    """Export one kind, check it and time both runtimes on the same input.

    Returns:
        A row: label, max_abs_diff, the medians (ms) and the speed-up.
    """
    import onnxruntime as ort

    from fdkd_mm.apis.onnx_export import export_onnx, graph_for
    cfg, batch, label = student_and_input(kind, small)
    model = build(cfg)
    path = osp.join(workdir, f'{kind}.onnx')
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        result = export_onnx(model, batch, path, dict(task=kind), tolerance, latency_repeats=0)
    export_s = time.perf_counter() - start
    graph, inputs, _ = graph_for(model, batch)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
    feed = {k: v.numpy() for k, v in inputs.items()}
    args = tuple(inputs.values())
    with torch.no_grad():
        expected = graph(*args).numpy()
    got = session.run(['logits'], feed)[0]
    same_input_diff = float(np.abs(got - expected).max())
    torch_times, ort_times = [], []
    with torch.no_grad():
        graph(*args), session.run(['logits'], feed)  # warm-up
        for _ in range(repeats):  # interleaved: load bursts hit both sides alike
            tic = time.perf_counter()
            graph(*args)
            torch_times.append((time.perf_counter() - tic) * 1000)
            tic = time.perf_counter()
            session.run(['logits'], feed)
            ort_times.append((time.perf_counter() - tic) * 1000)
    torch_ms, ort_ms = float(np.median(torch_times)), float(np.median(ort_times))
    return dict(kind=kind, label=label, max_abs_diff=result.max_abs_diff,
                batch1_abs_diff=same_input_diff,
                logit_scale=float(np.abs(expected).max()), torch_ms=torch_ms, onnx_ms=ort_ms,
                speedup=torch_ms / ort_ms, export_s=export_s,
                onnx_mb=osp.getsize(path) / 2**20)


def table(rows: list[dict], threads: int, repeats: int) -> str:
    """The rows as a Markdown table."""
    lines = ['| student, input (batch 1) | max abs diff | max abs logit | PyTorch ms | '
             'ONNX Runtime ms | speed-up | .onnx MB |',
             '|---|---|---|---|---|---|---|']
    for row in rows:
        lines.append(f"| {row['label']} | {row['max_abs_diff']:.1e} | {row['logit_scale']:.2g} | "
                     f"{row['torch_ms']:.1f} | "
                     f"{row['onnx_ms']:.1f} | {row['speedup']:.2f}x | {row['onnx_mb']:.1f} |")
    lines.append(f'\n{threads} thread(s), medians of {repeats} interleaved runs.')
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--kinds', nargs='+', choices=KINDS, default=list(KINDS),
                        help='student kinds to benchmark (default: all)')
    parser.add_argument('--threads', type=int, default=1,
                        help='intra-op threads of torch and ONNX Runtime (default 1)')
    parser.add_argument('--repeats', type=int, default=20,
                        help='timed runs of each runtime (default 20)')
    parser.add_argument('--tolerance', type=float, default=1e-3,
                        help='largest accepted max abs logit difference (default 1e-3)')
    parser.add_argument('--small', action='store_true',
                        help='tiny inputs and a tiny BERT: a smoke run, not a measurement')
    parser.add_argument('--out', help='also write the rows as JSON here')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for kind in args.kinds:
            row = bench_kind(kind, args.threads, args.repeats, args.tolerance, args.small,
                             workdir)
            print(f"{row['label']}: max abs diff {row['max_abs_diff']:.2e}, PyTorch "
                  f"{row['torch_ms']:.1f} ms, ONNX Runtime {row['onnx_ms']:.1f} ms "
                  f"(export {row['export_s']:.1f} s)", flush=True)
            rows.append(row)
    print(table(rows, args.threads, args.repeats))
    if args.out:
        with open(args.out, 'w') as handle:
            json.dump(dict(threads=args.threads, repeats=args.repeats, rows=rows), handle,
                      indent=2)


if __name__ == '__main__':
    main()
