"""Distillation without paired data, end to end on synthetic NYU-Depth V2, on 2 CPU cores.

1. writes a small synthetic dataset in the real NYU-Depth V2 layout (``data/nyu_unpaired_demo``)
   whose object classes come in pairs of nearly the same colour but different depths
   (``rgb_cue``), with a ``scenes.txt`` (two frames per room);
2. through the reproduction runner (``tools/reproduce.py --table unpaired``): trains the depth
   teacher on part A of the training frames (rooms disjoint from part B), then, for each seed,
   the five rows of the unpaired comparison on part B: the RGB student alone, the student
   with unpaired FD's band heads alone (a teacher-free control), class-mean soft-label KD and
   unpaired FD (both teacher-free, from the teacher bank built before training), and paired
   FD-CMKD on part B (the upper bound that pairs allow); each is tested
   on the same synthetic test split;
3. builds the teacher bank once more with ``tools/build_teacher_bank.py`` (time and size);
4. prints the comparison (mIoU per seed, mean ± std) and the teacher's own mIoU.

Only sizes, schedule and paths are overridden (``fdkd_mm.testing.overrides``); the backbones
train from scratch (no download). Run logs go to the work dir.

Usage:
    python tools/demo_unpaired.py [--work-dir work_dirs/demo_unpaired] [--epochs 15]
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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo_unpaired')
    parser.add_argument('--data-root', default='data/nyu_unpaired_demo')
    parser.add_argument('--epochs', type=int, default=15, help='epochs of every run')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--num-train', type=int, default=48,
                        help='training frames (split by room into parts A and B)')
    parser.add_argument('--num-test', type=int, default=8)
    parser.add_argument('--rgb-cue', type=float, default=0.35,
                        help='how distinct paired classes look in RGB (1: fully, 0: not)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    from mmengine.config import Config

    from fdkd_mm.reproduction.runner import Launcher, cell_results, execute, plan_runs
    from fdkd_mm.reproduction.tables import seeds_markdown
    from fdkd_mm.testing import write_synthetic_nyu
    from fdkd_mm.reproduction.unpaired_tables import METHODS
    from fdkd_mm.testing.overrides import nyu_config_cpu_overrides

    started = time.time()
    data_root = osp.abspath(args.data_root)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    write_synthetic_nyu(data_root, num_train=args.num_train, num_test=args.num_test,
                        rgb_cue=args.rgb_cue)
    print(f'wrote synthetic NYU-Depth V2 layout to {data_root} (rgb_cue {args.rgb_cue}, '
          f'{args.num_train} training frames in {args.num_train // 2} rooms)')

    runs = plan_runs('unpaired', ['nyu'], None, args.seeds, work_dir, students=['rgb'])
    options = {}
    for run in runs:
        if run.config in options:  # another seed of a config already read
            continue
        cfg = Config.fromfile(osp.join(REPO, run.config))
        options[run.config] = nyu_config_cpu_overrides(cfg, data_root, args.epochs)
        if cfg.get('teacher_bank') is not None:
            # The synthetic scenes use 6 of the 40 classes: the bank skips the other 34 (with a
            # warning) instead of refusing them as it would on real data.
            options[run.config].append('teacher_bank.allow_missing_classes=True')
    outcomes = execute(runs, Launcher(), lambda run: options[run.config])
    failed = [o for o in outcomes if o.status != 'done']
    if failed:
        raise SystemExit('demo runs failed: ' + '; '.join(f'{o.run.name}: {o.message}'
                                                          for o in failed))
    results = cell_results(runs, outcomes)
    teacher = next(run for run in runs if run.is_distiller).teacher

    ufd = next(run for run in runs if run.cells and run.cells[0].method == 'ufd')
    bank = osp.join(work_dir, 'teacher_bank_nyu_depth.pth')
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

    print(f'\n=== RGB students on part B of synthetic NYU-Depth V2 ({args.num_test} test '
          f'scenes; mIoU over the classes present), {args.epochs} epochs, seeds {args.seeds}; '
          f'depth teacher trained on part A: {teacher.metric("mIoU"):.2f} mIoU')
    print(seeds_markdown(results, METHODS, 'RGB student on part B'))
    if len(args.seeds) > 1:
        spread = statistics.fmean(r.std() for r in results)
        print(f'(mean seed std {spread:.2f}: differences of that size are noise)')
    print('\nteacher bank: ' + (summary[-1] if summary else f'see {log}'))
    print(f'total {time.time() - started:.0f} s; runs and logs in {work_dir}')


if __name__ == '__main__':
    main()
