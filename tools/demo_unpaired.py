"""Distillation without paired data, end to end on synthetic data, on 2 CPU cores.

1. writes a small synthetic dataset in the real layout whose classes come in pairs that the
   student's modality tells apart only weakly: NYU-Depth V2 (``--dataset nyu``, default;
   ``data/nyu_unpaired_demo``), object classes of nearly the same colour but different depths
   (``--rgb-cue``), two frames per room; or CREMA-D (``--dataset cremad``;
   ``data/cremad_unpaired_demo``), emotions whose frames have nearly the same colour
   (``--visual-cue``) but tones of their own, six clips per actor;
2. through the reproduction runner (``tools/reproduce.py --table unpaired``): trains the
   teacher (depth / audio) on part A of the training data (rooms / actors disjoint from part
   B), then, for each seed, every row of the unpaired comparison for the student (RGB /
   visual) on part B: the student alone, the student with unpaired FD's band heads alone (a
   teacher-free control), class-mean soft-label KD, the published method (sumall and bilevel,
   CREMA-D only), unpaired FD (all teacher-free, from the teacher bank built before training)
   and paired FD-CMKD on part B (the upper bound that pairs allow); each is tested on the
   same synthetic test split;
3. builds the teacher bank once more with ``tools/build_teacher_bank.py`` (time and size);
4. prints the comparison (mIoU / top-1 per seed, mean ± std) and the teacher's own number.

Only sizes, schedule and paths are overridden (``fdkd_mm.testing.overrides``); the backbones
train from scratch (no download). Run logs go to the work dir.

Usage:
    python tools/demo_unpaired.py [--dataset nyu|cremad] [--work-dir DIR] [--epochs 15]
        [--seeds 0 1]
"""
import argparse
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

#: Per dataset: the student's modality, the metric, and how the rows are named in print.
SETTINGS = dict(nyu=dict(student='rgb', metric='mIoU', teacher='depth', who='RGB'),
                cremad=dict(student='visual', metric='accuracy/top1', teacher='audio',
                            who='visual'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--dataset', choices=sorted(SETTINGS), default='nyu')
    parser.add_argument('--work-dir', help='default: work_dirs/demo_unpaired[_cremad]')
    parser.add_argument('--data-root', help='default: data/<dataset>_unpaired_demo')
    parser.add_argument('--epochs', type=int, default=15, help='epochs of every run')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--num-train', type=int, default=48,
                        help='nyu: training frames (split by room into parts A and B); '
                        'cremad: training actors (split into parts A and B), 6 clips each')
    parser.add_argument('--num-test', type=int, default=8,
                        help='nyu: test frames; cremad: test actors')
    parser.add_argument('--rgb-cue', type=float, default=0.35,
                        help='nyu: how distinct paired classes look in RGB (1: fully, 0: not)')
    parser.add_argument('--visual-cue', type=float, default=0.35,
                        help='cremad: how distinct paired emotions look in the frames')
    args = parser.parse_args()
    suffix = '' if args.dataset == 'nyu' else f'_{args.dataset}'
    args.work_dir = args.work_dir or f'work_dirs/demo_unpaired{suffix}'
    args.data_root = args.data_root or f'data/{args.dataset}_unpaired_demo'
    return args


def write_data(args: argparse.Namespace, data_root: str) -> str:
    """Write the synthetic dataset; return what was written, for the log."""
    from fdkd_mm.testing import write_synthetic_cremad, write_synthetic_nyu
    if args.dataset == 'nyu':
        write_synthetic_nyu(data_root, num_train=args.num_train, num_test=args.num_test,
                            rgb_cue=args.rgb_cue)
        return (f'NYU-Depth V2 layout (rgb_cue {args.rgb_cue}, {args.num_train} training '
                f'frames in {args.num_train // 2} rooms)')
    write_synthetic_cremad(data_root, clips_per_class=(args.num_train, args.num_test),
                           visual_cue=args.visual_cue)
    return (f'CREMA-D layout (visual_cue {args.visual_cue}, {args.num_train} training actors, '
            f'{args.num_test} test actors, 6 clips each)')


def run_overrides(args: argparse.Namespace, cfg, data_root: str) -> list[str]:
    """The CPU overrides of one run's config."""
    from fdkd_mm.testing.overrides import av_config_cpu_overrides, nyu_config_cpu_overrides
    if args.dataset == 'cremad':
        return av_config_cpu_overrides(cfg, data_root, args.epochs)
    options = nyu_config_cpu_overrides(cfg, data_root, args.epochs)
    if cfg.get('teacher_bank') is not None:
        # The synthetic scenes use 6 of the 40 classes: the bank skips the other 34 (with a
        # warning) instead of refusing them as it would on real data.
        options.append('teacher_bank.allow_missing_classes=True')
    return options


def main() -> int:
    args = parse_args()
    from mmengine.config import Config

    from fdkd_mm.reproduction.runner import Launcher, cell_results, execute, plan_runs
    from fdkd_mm.reproduction.tables import seeds_markdown
    from fdkd_mm.reproduction.unpaired_tables import METHODS

    started = time.time()
    setting = SETTINGS[args.dataset]
    data_root = osp.abspath(args.data_root)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    print(f'wrote synthetic {write_data(args, data_root)} to {data_root}')

    runs = plan_runs('unpaired', [args.dataset], None, args.seeds, work_dir,
                     students=[setting['student']])
    options = {}
    for run in runs:
        if run.config not in options:  # not another seed of a config already read
            options[run.config] = run_overrides(
                args, Config.fromfile(osp.join(REPO, run.config)), data_root)
    outcomes = execute(runs, Launcher(), lambda run: options[run.config])
    failed = [o for o in outcomes if o.status != 'done']
    teacher = next(run for run in runs if run.is_distiller).teacher
    if any(o.run is teacher for o in failed):
        raise SystemExit(f'the teacher {teacher.name} failed; see {teacher.work_dir}')
    # A failed student run is a result as well: its row says so, the others are reported.
    results = cell_results(runs, outcomes)

    ufd = next(run for run in runs if run.cells and run.cells[0].method == 'ufd')
    bank = osp.join(work_dir, f'teacher_bank_{args.dataset}_{setting["teacher"]}.pth')
    log = osp.join(work_dir, 'build_teacher_bank.log')
    with open(log, 'w') as out:
        result = subprocess.run(
            [sys.executable, 'tools/build_teacher_bank.py', ufd.config, '--out', bank,
             '--teacher-ckpt', teacher.last_checkpoint(), '--device', 'cpu', '--no-progress',
             '--cfg-options', *options[ufd.config]],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise SystemExit(f'building the teacher bank failed; see {log}')
    with open(log) as f:
        summary = [line for line in f.read().splitlines() if line.startswith('wrote ')]

    metric = setting['metric']
    print(f'\n=== {setting["who"]} students on part B of synthetic {args.dataset} '
          f'({args.num_test} test scenes / actors), {args.epochs} epochs, seeds {args.seeds}; '
          f'{setting["teacher"]} teacher trained on part A: {teacher.metric(metric):.2f} '
          f'{metric}')
    print(seeds_markdown(results, METHODS, f'{setting["who"]} student on part B', metric))
    spreads = [r.std() for r in results if r.std() is not None]
    if spreads:
        print(f'(mean seed std {statistics.fmean(spreads):.2f}: differences of that size are '
              'noise)')
    for outcome in failed:
        print(f'FAILED: {outcome.run.name}: {outcome.message}')
    print('\nteacher bank: ' + (summary[-1] if summary else f'see {log}'))
    print(f'total {time.time() - started:.0f} s; runs and logs in {work_dir}')
    return 1 if failed else 0


if __name__ == '__main__':
    from fdkd_mm.tool_errors import run_tool
    run_tool(main)
