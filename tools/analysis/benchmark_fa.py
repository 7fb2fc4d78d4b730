"""What the published unpaired method's losses cost per step, beside the student's own step.

Times, on one device and in one process (medians over rounds, warm-up rounds first):

* ``fa``: feature alignment (POT's Sinkhorn, 100 iterations) forward + backward between a
  student batch and a teacher batch of ``--batch-size`` × D pooled features;
* ``la``: label alignment (the teacher's classifier on the student's feature) forward +
  backward;
* ``loss``: :class:`~fdkd_mm.models.losses.UnpairedCMKDLoss` as configured (both terms, the
  teacher batch replayed from a bank of ``--bank-size`` random features);
* ``student``: the config's student alone, its own ``train_step`` (preprocess, forward, loss,
  backward, SGD step) on a random batch of ``--batch-size`` inputs of the modality's real size.

FA and LA are timed interleaved (``--repeats`` rounds), the student apart (``--student-repeats``
rounds: seconds each on a CPU). Networks have random weights; nothing is downloaded.

Example:
    python tools/analysis/benchmark_fa.py \\
        configs/unpaired/ucmkd-sumall_r18-audio_r18-visual_cremad.py --threads 2 \\
        --out work_dirs/bench_fa.json
"""
import argparse
import copy
import os.path as osp
import sys
from typing import Optional

import torch

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
for path in (REPO, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

from benchmark_distill import (_plain_bn, optim_wrapper_for, summarize,  # noqa: E402
                               time_interleaved, write_report)

#: One sample of each modality as the packing transform gives it (CREMA-D's sizes).
INPUT_SHAPES = dict(visual=(3, 1, 224, 224), audio=(1, 257, 188))


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', nargs='?',
                        default='configs/unpaired/ucmkd-sumall_r18-audio_r18-visual_cremad.py')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--bank-size', type=int, default=3348,
                        help="teacher features in the bank (CREMA-D's part A: 3,348 clips)")
    parser.add_argument('--repeats', type=int, default=20, help='rounds of fa / la / loss')
    parser.add_argument('--student-repeats', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, help='torch threads (default: torch\'s)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the report here (.json)')
    return parser.parse_args(argv)


def build(config: str, bank_size: int, device: torch.device) -> tuple:
    """The config's loss (a random bank of ``bank_size`` features and a classifier) and its
    student, both on ``device``."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from fdkd_mm.models.banks import BANK_FORMAT, BANK_VERSION, classifier_entry
    from fdkd_mm.registry import MODELS
    init_default_scope('fdkd_mm')
    cfg = Config.fromfile(config)
    (loss_cfg, ) = cfg.model.distill_losses.values()
    loss = MODELS.build(copy.deepcopy(loss_cfg.to_dict()))
    dim, classes = loss.in_channels, loss.num_classes
    features = torch.rand(bank_size, dim)
    tensors, record = classifier_entry(torch.randn(classes, dim) / dim ** 0.5,
                                       torch.zeros(classes), 'head.fc')
    counts = torch.full((classes, ), float(bank_size) / classes)
    tensors.update(
        counts=counts, means=torch.zeros(1, classes, dim, dtype=torch.float64),
        variances=torch.zeros(1, classes, dim, dtype=torch.float64), label_counts=counts,
        label_dist=torch.full((classes, classes), 1.0 / classes, dtype=torch.float64),
        features=features, labels=torch.arange(bank_size) % classes)
    manifest = dict(loss.bank_layout(), layout='pooled', classifier=record)
    if loss.uses_bank:
        loss.load_bank(dict(format=BANK_FORMAT, version=BANK_VERSION, manifest=manifest,
                            tensors=tensors))
    student_cfg = copy.deepcopy(cfg.model.student.to_dict())
    _plain_bn(student_cfg)
    student = MODELS.build(student_cfg).to(device).train()
    return loss.to(device), student, cfg.model.student_input, tensors


def loss_steps(loss, tensors: dict, batch: int, device: torch.device) -> dict:
    """``fa``, ``la`` and ``loss``: forward + backward on fixed random student tensors."""
    from fdkd_mm.models.losses.head_label_align import head_label_alignment, linear_head
    from fdkd_mm.models.losses.ot_feature_align import sinkhorn_feature_cost
    gen = torch.Generator().manual_seed(0)
    dim, classes = loss.in_channels, loss.num_classes
    feat = torch.rand(batch, dim, generator=gen).to(device).requires_grad_(True)
    logits = torch.randn(batch, classes, generator=gen).to(device).requires_grad_(True)
    labels = (torch.arange(batch) % classes).to(device)
    teacher = tensors['features'][:batch].to(device)
    weight = tensors['classifier_weight'].to(device)
    bias = tensors['classifier_bias'].to(device)
    settings = loss.sinkhorn

    def fa() -> None:
        sinkhorn_feature_cost(feat, teacher, settings['reg'], settings['num_iter_max'],
                              loss.clamp_cost, loss.normalize_eps).backward()

    def la() -> None:
        head_label_alignment(logits, linear_head(feat, weight, bias), labels,
                             loss.la_teacher_grad).backward()

    def whole() -> None:
        kwargs = {} if loss.uses_bank else dict(teacher_feat=teacher, teacher_head_weight=weight,
                                                teacher_head_bias=bias)
        sum(loss(labels, feat, logits, **kwargs).values()).backward()

    return dict(fa=fa, la=la, loss=whole)


def student_step(student, modality: str, batch: int, classes: int) -> callable:
    """The student's own ``train_step`` on a random batch of real-size inputs."""
    from mmpretrain.structures import DataSample
    gen = torch.Generator().manual_seed(1)
    shape = INPUT_SHAPES[modality]
    if modality == 'visual':
        inputs = [torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)
                  for _ in range(batch)]
    else:
        inputs = [torch.randn(shape, generator=gen) for _ in range(batch)]
    labels = (torch.arange(batch) % classes).tolist()
    wrapper = optim_wrapper_for(student)

    def step() -> None:
        samples = [DataSample().set_gt_label(label) for label in labels]
        student.train_step(dict(inputs=list(inputs), data_samples=samples), wrapper)

    return step


def main(argv: Optional[list] = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    loss, student, modality, tensors = build(args.config, args.bank_size, device)
    times = time_interleaved(loss_steps(loss, tensors, args.batch_size, device), args.warmup,
                             args.repeats, device)
    times.update(time_interleaved(
        dict(student=student_step(student, modality, args.batch_size, loss.num_classes)),
        args.warmup, args.student_repeats, device))
    summary = {name: summarize(samples) for name, samples in times.items()}
    student_median = summary['student']['median_s']
    report = dict(config=args.config, batch_size=args.batch_size, dim=loss.in_channels,
                  device=str(device), threads=torch.get_num_threads(), student_input=modality,
                  input_shape=list(INPUT_SHAPES[modality]), times=summary,
                  share_of_student_step={name: s['median_s'] / student_median
                                         for name, s in summary.items() if name != 'student'})
    lines = [f'{args.config}: batch {args.batch_size} x {loss.in_channels}, {device}, '
             f'{report["threads"]} threads',
             '| step | median ms | min ms | rounds | / student step |', '|---|---|---|---|---|']
    for name, s in summary.items():
        share = s['median_s'] / student_median
        lines.append(f'| {name} | {s["median_s"] * 1e3:.1f} | {s["min_s"] * 1e3:.1f} | '
                     f'{s["n"]} | {share:.3f} |')
    print('\n'.join(lines))
    if args.out:
        write_report(args.out, report)
    return report


if __name__ == '__main__':
    main()
