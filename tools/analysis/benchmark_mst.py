"""Time MST-Distill's three stages against the student alone and its two-teacher floor.

MST-Distill is the one method that runs several teachers per step (the audio-visual fusion
teacher ``mm`` and the other modality's ``cm``), so its floor is not the one-teacher floor of
``benchmark_methods.py``. On one CREMA-D pair (fusion / visual teachers -> audio student by
default; random weights, plain BN, nothing downloaded) this times, in one process and
interleaved (one round = every variant once, medians over rounds):

* ``student``: the student's own training step inside the MST distiller (preprocess,
  forward, loss, backward, step);
* ``student+mm``: the same plus the fusion teacher's forward (the floor of one-teacher KD);
* ``student+mm+cm``: plus the second teacher's forward too (the floor of MST's stages 2-3);
* ``kd`` / ``fdkd``: one ``train_step`` of KD / FD-CMKD from the fusion teacher
  (``configs/mm/``);
* ``mst-cotrain`` / ``mst-mask`` / ``mst``: one ``train_step`` of each MST-Distill stage
  (``configs/mst/``; stage 1 trains all three networks);
* ``mst-mask@F``: stage 2 with ``mask_hidden_factor=F`` (``--mask-hidden-factors``): the
  masks' token width, whose embedding dominates the stage on a 1024-d fused feature.

Example:
    python tools/analysis/benchmark_mst.py --student audio --batch-size 2 --repeats 8 \\
        --threads 1 --out work_dirs/bench_mst.json
"""
import argparse
import copy
import json
import os.path as osp
import sys
from typing import Callable, Optional

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_distill import (_plain_bn, offline_model_cfg, optim_wrapper_for,  # noqa: E402
                               pair_ratios, summarize, time_interleaved)

#: Config of each timed distiller; ``{other}`` is the teacher-only modality.
CELLS = {
    'kd': 'configs/mm/kd_fusion-r18-av_r18-{student}_cremad.py',
    'fdkd': 'configs/mm/fdkd_fusion-r18-av_r18-{student}_cremad.py',
    'mst-cotrain': 'configs/mst/mst-cotrain_fusion-r18-av_r18-{student}_cremad.py',
    'mst-mask': 'configs/mst/mst-mask_fusion-r18-av_r18-{student}_cremad.py',
    'mst': 'configs/mst/mst_fusion-r18-av_r18-{student}_cremad.py',
}
#: CREMA-D's emotions.
NUM_CLASSES = 6


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--student', choices=('audio', 'visual'), default='audio')
    parser.add_argument('--methods', nargs='+', choices=tuple(CELLS), default=list(CELLS))
    parser.add_argument('--mask-hidden-factors', type=float, nargs='*', default=[0.125],
                        help="extra stage-2 variants with MSTLoss's mask_hidden_factor")
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=8)
    parser.add_argument('--threads', type=int, help='torch.set_num_threads')
    parser.add_argument('--out', help='write the report (JSON) here')
    return parser.parse_args(argv)


def build_distiller(path: str, mask_hidden_factor: Optional[float] = None) -> torch.nn.Module:
    """The cell's distiller with random weights and plain BN, in train mode.

    Args:
        path: Config path relative to the repository.
        mask_hidden_factor: Set on the cell's ``loss_mst`` when given.

    Returns:
        The built :class:`~fdkd_mm.models.distillers.CrossModalDistiller`.
    """
    from mmengine.config import Config

    from fdkd_mm.registry import MODELS
    model_cfg = offline_model_cfg(Config.fromfile(osp.join(REPO, path)).model.to_dict())
    if mask_hidden_factor is not None:
        model_cfg['distill_losses']['loss_mst']['mask_hidden_factor'] = mask_hidden_factor
    _plain_bn(model_cfg)
    return MODELS.build(model_cfg).train()


def make_batch(batch_size: int, seed: int = 0) -> dict:
    """A CREMA-D batch as the dataloader yields it: a (1, 257, 188) log-spectrogram and one
    224 x 224 frame per sample (the configs' pipeline), and labelled ``DataSample``s."""
    from mmpretrain.structures import DataSample
    gen = torch.Generator().manual_seed(seed)
    audio = [torch.randn(1, 257, 188, generator=gen) for _ in range(batch_size)]
    visual = [torch.randint(0, 256, (3, 1, 224, 224), generator=gen, dtype=torch.uint8)
              for _ in range(batch_size)]
    labels = torch.randint(0, NUM_CLASSES, (batch_size,), generator=gen)
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    return dict(inputs=dict(audio=audio, visual=visual), data_samples=samples)


def floor_step(distiller, batch: dict, teachers: tuple[str, ...]) -> Callable[[], None]:
    """The student's own step with the named teachers' forwards beside it (no loss on them).
    """
    wrapper = optim_wrapper_for(distiller.student)
    device = next(distiller.student.parameters()).device

    def step() -> None:
        data = distiller.data_preprocessor(copy.deepcopy(batch), True)
        for name in teachers:
            distiller.teachers[name].forward_batch(data['inputs'], data['data_samples'], device)
        losses = distiller.run_student(data['inputs'], data['data_samples'])
        loss, _ = distiller.parse_losses(losses)
        wrapper.update_params(loss)
    return step


def distiller_step(distiller, batch: dict) -> Callable[[], None]:
    """One ``train_step`` of the distiller on a fresh copy of the batch."""
    wrapper = optim_wrapper_for(distiller)

    def step() -> None:
        distiller.train_step(copy.deepcopy(batch), wrapper)
    return step


def main(argv: Optional[list] = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from mmengine.registry import init_default_scope
    init_default_scope('fdkd_mm')
    batch = make_batch(args.batch_size)
    distillers = {name: build_distiller(CELLS[name].format(student=args.student))
                  for name in args.methods}
    mask_cell = CELLS['mst-mask'].format(student=args.student)
    distillers.update({f'mst-mask@{factor:g}': build_distiller(mask_cell, factor)
                       for factor in args.mask_hidden_factors})
    floors = build_distiller(CELLS['mst'].format(student=args.student))
    steps = {'student': floor_step(floors, batch, ()),
             'student+mm': floor_step(floors, batch, ('mm', )),
             'student+mm+cm': floor_step(floors, batch, ('mm', 'cm'))}
    steps.update({name: distiller_step(model, batch) for name, model in distillers.items()})
    times = time_interleaved(steps, args.warmup, args.repeats, torch.device('cpu'))
    pairs = {f'{name}/student+mm': (name, 'student+mm') for name in steps}
    pairs.update({f'{name}/student+mm+cm': (name, 'student+mm+cm') for name in steps})
    report = dict(
        settings=dict(student=args.student, methods=args.methods,
                      mask_hidden_factors=args.mask_hidden_factors, batch_size=args.batch_size,
                      repeats=args.repeats, threads=torch.get_num_threads()),
        timings={name: summarize(values) for name, values in times.items()},
        ratios=pair_ratios(times, pairs))
    print(markdown(report))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=1)
    return report


def markdown(report: dict) -> str:
    """The report as a Markdown table: medians and paired ratios to both floors."""
    lines = ['| step | median (ms) | paired ratio to student+mm | to student+mm+cm |',
             '|---|---|---|---|']
    paired = report['ratios']['paired']
    for name, timing in report['timings'].items():
        one, two = paired[f'{name}/student+mm'], paired[f'{name}/student+mm+cm']
        lines.append(f'| {name} | {timing["median_s"] * 1e3:.1f} | {one:.2f} | {two:.2f} |')
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
