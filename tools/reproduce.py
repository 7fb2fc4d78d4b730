"""Reproduce a table of the paper: Uni teachers, every method in both directions, the results.

Trains the Uni teachers, then every method of the table (both directions of each dataset),
tests each student on its last-epoch checkpoint, and writes ``results.md``, ``results.csv`` and
``results.png`` beside the runs: our number (mean ± std over seeds), the paper's and the
difference, per cell. Resumable: finished runs are skipped, a killed run resumes from its last
checkpoint; a failed run is reported and the rest go on (fdkd_mm/reproduction/runner.py).

``--table unpaired`` runs our comparison without paired data instead (docs/unpaired.md): per
dataset and direction the student alone on part B, the band-heads control, class-mean KD, the
published unpaired method (sumall, bilevel; classification datasets), unpaired FD and paired
FD-CMKD on part B, each distiller with the teacher trained on part A.

Examples:
    python tools/reproduce.py --table 2 --dataset cremad --dry-run
    python tools/reproduce.py --table unpaired --dataset nyu --students rgb --seeds 0 1
    python tools/reproduce.py --table 3 --seeds 0 1 2 --gpus 8
    python tools/reproduce.py --table 4 --dataset ave --methods fdkd-freq fdkd --gpus 8 \\
        --launcher slurm --partition gpu
"""
import argparse
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from fdkd_mm.reproduction.runner import (Launcher, cell_results, execute,  # noqa: E402
                                         plan_runs, write_results)
from fdkd_mm.reproduction.tables import summary_markdown  # noqa: E402
from fdkd_mm.reproduction.unpaired_tables import TABLE as UNPAIRED_TABLE  # noqa: E402
from fdkd_mm.tool_errors import run_tool  # noqa: E402


def _table(value: str):
    """A paper table number or ``'unpaired'``."""
    if value == UNPAIRED_TABLE:
        return value
    if value in ('2', '3', '4', '7'):
        return int(value)
    raise argparse.ArgumentTypeError(f"invalid table {value!r}: choose 2, 3, 4, 7 or "
                                     f"'{UNPAIRED_TABLE}'")


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--table', type=_table, metavar='{2,3,4,7,unpaired}',
                        help="the paper table (default: every table of the paper), or "
                        "'unpaired' for our comparison without paired data")
    parser.add_argument('--dataset', nargs='+', choices=('cremad', 'ave', 'vggsound',
                                                         'crisismmd', 'nyu'),
                        help="the table's datasets to run (default: all of them)")
    parser.add_argument('--methods', nargs='+', help="method keys, e.g. fdkd kd dkd uni "
                        "fdkd-freq-align (default: every row of the table)")
    parser.add_argument('--students', nargs='+',
                        help='student modalities (columns) to run, e.g. visual; default: both')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0],
                        help='seeds of every cell; teachers train once, with the first')
    parser.add_argument('--work-root', default='work_dirs/reproduce',
                        help='runs go to <work-root>/<config basename>/seed<k>/')
    parser.add_argument('--gpus', type=int, default=1, help='GPUs (processes) per run')
    parser.add_argument('--launcher', choices=('none', 'pytorch', 'slurm'), default='none')
    parser.add_argument('--partition', help='Slurm partition (--launcher slurm)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides of every run')
    parser.add_argument('--uni-cfg-options', nargs='+', default=[],
                        help='key=value overrides of the Uni runs only')
    parser.add_argument('--distill-cfg-options', nargs='+', default=[],
                        help='key=value overrides of the distiller runs only')
    parser.add_argument('--dry-run', action='store_true', help='print the plan and stop')
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    """Run the plan; return 0 when every run finished, 1 otherwise (results are still written).
    """
    args = parse_args(argv)
    try:
        runs = plan_runs(args.table, args.dataset, args.methods, args.seeds, args.work_root,
                         args.students)
    except ValueError as error:
        raise SystemExit(f'error: {error}') from None
    launcher = Launcher(gpus=args.gpus, launcher=args.launcher, partition=args.partition)
    if args.dry_run:
        for index, run in enumerate(runs, 1):
            teacher = f', teacher {run.teacher.name}' if run.teacher else ''
            state = 'done' if run.done() else 'to run'
            cells = ', '.join(f'T{c.table} {c.method}/{c.dataset}/{c.student}'
                              for c in run.cells) or 'teacher only'
            print(f'{index:3d}. {run.name}: {run.work_dir} [{state}{teacher}] -> {cells}')
        return 0

    def options_for(run) -> list[str]:
        extra = args.distill_cfg_options if run.is_distiller else args.uni_cfg_options
        return [*args.cfg_options, *extra]

    outcomes = execute(runs, launcher, options_for)
    results = cell_results(runs, outcomes)
    written = write_results(results, osp.join(args.work_root, 'results'))
    print(summary_markdown(results))
    print('wrote ' + ', '.join(written))
    failed = [o for o in outcomes if o.status != 'done']
    for outcome in failed:
        print(f'{outcome.run.name}: {outcome.status} ({outcome.message})')
    return 1 if failed else 0


if __name__ == '__main__':
    run_tool(main)
