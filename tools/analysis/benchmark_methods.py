"""Time each method's distillation step against the student-alone step and the teacher floor.

Builds the NYU-Depth V2 cells of the given methods (one dataset pair, so every method runs the
same networks on the same batch; no download, random teacher, plain BN) and times, in one
process and interleaved (one round = every variant once, medians over rounds):

* ``student``: the student's own training step (preprocess, forward, loss, backward, step);
* ``student+teacher``: the same plus the frozen teacher's forward (the floor of any distiller);
* one ``train_step`` of each method's distiller.

CRD's bank gets one row per NYU training image (795) and each batch sample a ``sample_idx``;
MGDFR's KD step gets a fixed salience instead of its file (the cost does not depend on it).

Example:
    python tools/analysis/benchmark_methods.py --methods kd fdkd rkd mlld crd ofa mgdfr \\
        --batch-size 2 --crop 64 80 --repeats 10 --out work_dirs/bench_methods.json
"""
import argparse
import copy
import json
import os.path as osp
import sys
from typing import Optional

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_distill import (load_model_cfg, make_batch, optim_wrapper_for,  # noqa: E402
                               pair_ratios, summarize, time_interleaved)

#: The NYU cell of every method (depth teacher -> RGB student).
CELL = 'configs/{folder}/{method}_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py'
#: Rows of the NYU training split, the size of CRD's bank.
NYU_TRAIN = 795


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--methods', nargs='+', default=['kd', 'rkd', 'mlld', 'crd', 'ofa',
                                                         'mgdfr'],
                        help='method folders under configs/ with an NYU depth->rgb cell')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--crop', type=int, nargs=2, default=[64, 80], metavar=('H', 'W'))
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--threads', type=int, help='torch.set_num_threads')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the report (JSON) here')
    args = parser.parse_args(argv)
    args.teacher_ckpt, args.cfg_options = None, None
    return args


def build_distiller(method: str, args: argparse.Namespace):
    """The method's NYU distiller, ready to step (CRD's bank and MGDFR's salience set)."""
    from fdkd_mm.models.losses.crd import CRDLoss
    from fdkd_mm.models.losses.mgdfr import MGDFRLoss
    from fdkd_mm.registry import MODELS
    cell_args = copy.copy(args)
    cell_args.config = osp.join(REPO, CELL.format(folder=method, method=method))
    model_cfg = load_model_cfg(cell_args)
    model = MODELS.build(model_cfg)
    for loss in model.losses.values():
        if isinstance(loss, CRDLoss):
            loss.set_num_samples(NYU_TRAIN)
        if isinstance(loss, MGDFRLoss):
            loss.set_salience(torch.linspace(0, 1, 128))
    return model.to(torch.device(args.device)).train(), model_cfg


def main(argv: Optional[list] = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from mmengine.registry import init_default_scope
    init_default_scope('fdkd_mm')
    device = torch.device(args.device)
    distillers, cfg = {}, None
    for method in args.methods:
        distillers[method], cfg = build_distiller(method, args)
    first = next(iter(distillers.values()))
    student = copy.deepcopy(first.student).train()
    teacher = copy.deepcopy(first.teacher).eval()
    batch = make_batch(cfg, args.batch_size, tuple(args.crop), num_classes=40)
    for index, sample in enumerate(batch['data_samples']):
        sample.set_metainfo(dict(sample_idx=index))
    s_key, t_key = cfg['student_input'], cfg['teacher_input']
    wrappers = {name: optim_wrapper_for(model) for name, model in distillers.items()}
    student_wrapper = optim_wrapper_for(student)

    def fresh(keys):
        return {k: batch['inputs'][k] for k in keys}, copy.deepcopy(batch['data_samples'])

    def student_step(with_teacher: bool):
        def step():
            inputs, samples = fresh([s_key, t_key])
            if with_teacher:
                data = teacher.data_preprocessor(dict(inputs=inputs[t_key], data_samples=None),
                                                 False)
                with torch.no_grad():
                    teacher(data['inputs'], None, mode='tensor')
            student.train_step(dict(inputs=inputs[s_key], data_samples=samples),
                               student_wrapper)
        return step

    def distiller_step(name):
        def step():
            inputs, samples = fresh([s_key, t_key])
            distillers[name].train_step(dict(inputs=inputs, data_samples=samples),
                                        wrappers[name])
        return step

    steps = {'student': student_step(False), 'student+teacher': student_step(True)}
    steps.update({name: distiller_step(name) for name in distillers})
    times = time_interleaved(steps, args.warmup, args.repeats, device)
    report = dict(
        settings=dict(methods=args.methods, batch_size=args.batch_size, crop=args.crop,
                      repeats=args.repeats, threads=torch.get_num_threads(),
                      device=args.device),
        timings={name: summarize(values) for name, values in times.items()},
        ratios=pair_ratios(times, {f'{name}/student+teacher': (name, 'student+teacher')
                                   for name in steps if name != 'student+teacher'}))
    print(markdown(report))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=1)
    return report


def markdown(report: dict) -> str:
    """The report as a Markdown table (medians and paired ratios to the teacher floor)."""
    lines = ['| step | median (ms) | min (ms) | paired ratio to student+teacher |',
             '|---|---|---|---|']
    paired = report['ratios']['paired']
    for name, timing in report['timings'].items():
        ratio = paired.get(f'{name}/student+teacher')
        lines.append(f'| {name} | {timing["median_s"] * 1e3:.1f} | {timing["min_s"] * 1e3:.1f} '
                     f'| {"1 (floor)" if ratio is None else f"{ratio:.2f}"} |')
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
