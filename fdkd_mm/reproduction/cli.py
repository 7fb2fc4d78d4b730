"""``tools/reproduce.py``: arguments, the plan, the runs, the accumulated results.

Kept free of torch at import time: the plan (``--dry-run``, ``--check``) and ``--collect`` need
none of it, so they answer in about a second; the runs themselves are subprocesses.
"""
import argparse
import os.path as osp
from typing import Optional

from fdkd_mm.config.run_options import add_run_options, run_option_argv
from fdkd_mm.reproduction.accumulate import any_paper, collect_root, merge_statuses
from fdkd_mm.reproduction.benchmark_tables import TABLES as BENCHMARK_TABLES
from fdkd_mm.reproduction.data_status import dataset_defaults, is_paper_data
from fdkd_mm.reproduction.plan_report import plan_report
from fdkd_mm.reproduction.runner import (Launcher, Run, cell_results, execute, plan_runs,
                                         write_results)
from fdkd_mm.reproduction.tables import summary_markdown
from fdkd_mm.reproduction.teachers import StudentPreparation
from fdkd_mm.reproduction.unpaired_tables import TABLE as UNPAIRED_TABLE
from fdkd_mm.reproduction.zoo_tables import TABLE as ZOO_TABLE


def _table(value: str):
    """A paper table number, ``'unpaired'``, ``'zoo'``, ``'avmnist'``, ``'ravdess'`` or
    ``'mm'``."""
    if value in (UNPAIRED_TABLE, ZOO_TABLE, *BENCHMARK_TABLES):
        return value
    if value in ('2', '3', '4', '7'):
        return int(value)
    names = ', '.join(f"'{name}'" for name in (UNPAIRED_TABLE, ZOO_TABLE, *BENCHMARK_TABLES))
    raise argparse.ArgumentTypeError(f"invalid table {value!r}: choose 2, 3, 4, 7 or {names}")


def build_parser(description: str = '') -> argparse.ArgumentParser:
    """The parser of ``tools/reproduce.py`` (run options included)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--table', type=_table,
                        metavar='{2,3,4,7,unpaired,zoo,avmnist,ravdess,mm}',
                        help="the paper table (default: every table of the paper), "
                        "'unpaired' for our comparison without paired data, 'zoo' for the "
                        "CMKD benchmark's other methods (RKD, MLLD, CRD, OFA), 'avmnist' or "
                        "'ravdess' for Table 2's methods on those benchmarks, 'mm' for the "
                        "multimodal-teacher setting (MM -> m)")
    parser.add_argument('--dataset', nargs='+', choices=('cremad', 'ave', 'vggsound',
                                                         'crisismmd', 'nyu', 'avmnist',
                                                         'ravdess'),
                        help="the table's datasets to run (default: all of them)")
    parser.add_argument('--methods', nargs='+', help="method keys, e.g. fdkd kd dkd uni "
                        "fdkd-freq-align (default: every row of the table)")
    parser.add_argument('--students', nargs='+',
                        help='student modalities (columns) to run, e.g. visual; default: both')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0],
                        help='seeds of every cell (they add up across calls: --seeds 1 2 '
                        'later adds two seeds to the table)')
    parser.add_argument('--teacher-seed', type=int, default=0,
                        help='the seed every teacher trains with, whatever --seeds are')
    parser.add_argument('--teacher-cache', action='store_true',
                        help="compute each frozen teacher's outputs once, after it trained, "
                        'and read them in every method that can (docs/teacher_cache.md)')
    parser.add_argument('--work-root', default='work_dirs/reproduce',
                        help='runs go to <work-root>/<config basename>/seed<k>/; the results '
                        'table covers every finished run there')
    parser.add_argument('--no-paper', action='store_true',
                        help="no paper column (automatic when --data-root is not the "
                        "config's)")
    parser.add_argument('--gpus', type=int, default=1, help='GPUs (processes) per run')
    parser.add_argument('--launcher', choices=('none', 'pytorch', 'slurm'), default='none')
    parser.add_argument('--partition', help='Slurm partition (--launcher slurm)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides of every run')
    parser.add_argument('--uni-cfg-options', nargs='+', default=[],
                        help='key=value overrides of the Uni runs only')
    parser.add_argument('--distill-cfg-options', nargs='+', default=[],
                        help='key=value overrides of the distiller runs only')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--dry-run', action='store_true', help='print the plan and stop')
    mode.add_argument('--check', action='store_true',
                      help='print the plan; exit 1 if a run to run lacks its data')
    mode.add_argument('--collect', action='store_true',
                      help='train nothing: tabulate the finished runs of the work root')
    add_run_options(parser)
    return parser


def _cfg_data_root(options: list[str]) -> Optional[str]:
    """A data root given as ``--cfg-options [...]data_root=X``."""
    for option in options:
        key, _, value = option.partition('=')
        if key == 'data_root' or key.endswith('.data_root'):
            return value
    return None


def main(argv: Optional[list[str]] = None, description: str = '') -> int:
    """Plan, check, run and tabulate; 0 when every run finished (or the plan is fine)."""
    args = build_parser(description).parse_args(argv)
    if args.data_root:  # the runs start in the repository: keep the user's relative path
        args.data_root = osp.abspath(args.data_root)
    try:
        runs = plan_runs(args.table, args.dataset, args.methods, args.seeds, args.work_root,
                         args.students, teacher_seed=args.teacher_seed)
    except ValueError as error:
        raise SystemExit(f'error: {error}') from None
    data_root = args.data_root or _cfg_data_root(args.cfg_options)
    report = plan_report(runs, args.table, args.seeds, args.work_root, data_root,
                         args.teacher_seed, args.teacher_cache)
    paper_data = {run.dataset: is_paper_data(run.dataset, data_root) for run in runs
                  if run.dataset in _known_datasets()}
    show_paper = not args.no_paper and all(paper_data.values())
    order = [osp.splitext(osp.basename(run.config))[0] for run in runs]
    if args.collect:
        return _write(collect_root(args.work_root, args.table, show_paper, order), args)
    print(report.text)
    if args.dry_run or args.check:
        return 0 if (args.dry_run or report.ok) else 1
    if not report.ok:
        print('nothing started: fix the data first (or --dry-run to see the plan only)')
        return 1
    launcher = Launcher(gpus=args.gpus, launcher=args.launcher, partition=args.partition)
    argv_of_runs = run_option_argv(args)

    def options_for(run: Run) -> list[str]:
        extra = args.distill_cfg_options if run.is_distiller else args.uni_cfg_options
        return [*args.cfg_options, *extra]

    def run_info(run: Run) -> dict:
        root = data_root or dataset_defaults(run.dataset).data_root
        return dict(config=run.config, seed=run.seed, data_root=root,
                    paper_data=paper_data.get(run.dataset, True), run_options=argv_of_runs)

    prepare = StudentPreparation(args.work_root, launcher, argv_of_runs, options_for,
                                 teacher_cache=args.teacher_cache)
    outcomes = execute(runs, launcher, options_for, run_argv=argv_of_runs, prepare=prepare,
                       run_info=run_info)
    planned = cell_results(runs, outcomes)
    results = merge_statuses(collect_root(args.work_root, args.table, show_paper, order),
                             planned)
    code = _write(results, args)
    failed = [o for o in outcomes if o.status != 'done']
    for outcome in failed:
        print(f'{outcome.run.name}: {outcome.status} ({outcome.message})')
    return 1 if failed or code else 0


def _known_datasets() -> tuple[str, ...]:
    from fdkd_mm.reproduction.data_status import BASE_CONFIGS
    return tuple(BASE_CONFIGS)


def _write(results: list, args: argparse.Namespace) -> int:
    if not results:
        print(f'no finished run under {args.work_root}')
        return 0
    with_paper = any_paper(results)
    written = write_results(results, osp.join(args.work_root, 'results'), with_paper)
    print(summary_markdown(results, with_paper=with_paper))
    print('wrote ' + ', '.join(written))
    return 0
