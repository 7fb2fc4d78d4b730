"""Gather every validation metric of MMEngine work dirs into tables users can cite.

For each work dir, every run folder ``<timestamp>/`` is read in order (resumed runs continue),
from ``vis_data/scalars.json`` or, when that is missing, the ``<timestamp>.log``; the config
MMEngine dumped beside them says what the run is. Rows are named by the work dir's path
relative to the runs' common root (or ``--root``), with method, dataset, teacher→student and
seed from the config. Per metric:

* ``last``: the final validation, the number to report for a fixed schedule;
* ``best``: the maximum over all validations (minimum for ``--lower-is-better`` metrics) and its
  step, for reference only: picking it on the test split is selection on test data.

Runs of one config that differ in their seed are aggregated as mean ± std of ``last``; where
the config is a cell of the paper's Tables 2, 3, 4 or 7 (fdkd_mm/reproduction/paper_tables.py) the
reported number and ours minus it stand beside.

Writes ``OUT.md`` (both tables), ``OUT.csv`` (one row per run and metric),
``OUT_seeds.csv`` (one row per experiment and metric) and ``OUT.png`` (bar chart of the
primary metric, mIoU or top-1, with the paper's numbers).

Example:
    python tools/analysis/collect_results.py work_dirs/fdkd/* work_dirs/kd/* --out results
"""
import argparse
import os
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from fdkd_mm.reproduction.results import collect_run  # noqa: E402
from fdkd_mm.reproduction.tables import (markdown_report, plot_summaries,  # noqa: E402
                                         summarize_runs, write_runs_csv, write_summary_csv)


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='MMEngine work dirs, one per run')
    parser.add_argument('--root', help='row names are paths relative to this folder '
                        '(default: the common parent of the work dirs)')
    parser.add_argument('--lower-is-better', nargs='*', default=[], metavar='METRIC',
                        help='metrics whose best is the minimum')
    parser.add_argument('--out', help='write OUT.md, OUT.csv, OUT_seeds.csv and OUT.png '
                        '(a .md suffix is dropped)')
    return parser.parse_args(argv)


def common_root(work_dirs: list[str]) -> str:
    """The folder the runs' relative names start from: their common parent."""
    paths = [osp.abspath(d) for d in work_dirs]
    if len(paths) == 1:
        return osp.dirname(osp.normpath(paths[0]))
    root = osp.commonpath(paths)
    return osp.dirname(root) if root in paths else root


def main(argv: Optional[list[str]] = None) -> str:
    """Print (and optionally write) the tables; return the Markdown."""
    args = parse_args(argv)
    existing = [d for d in args.work_dirs if osp.isdir(d)] or args.work_dirs
    root = args.root or common_root(existing)
    results, missing = [], []
    for work_dir in args.work_dirs:
        result = collect_run(work_dir, root, tuple(args.lower_is_better))
        (results if result else missing).append(result or work_dir)
    for work_dir in missing:
        print(f'no validation results in {work_dir}', file=sys.stderr)
    if not results:
        raise SystemExit('none of the work dirs holds validation results')
    summaries = summarize_runs(results)
    report = markdown_report(results, summaries)
    print(report)
    if args.out:
        stem = args.out[:-3] if args.out.endswith('.md') else args.out
        os.makedirs(osp.dirname(osp.abspath(stem)), exist_ok=True)
        with open(f'{stem}.md', 'w') as f:
            f.write(report)
        write_runs_csv(f'{stem}.csv', results)
        write_summary_csv(f'{stem}_seeds.csv', summaries)
        plot_summaries(f'{stem}.png', summaries)
        print(f'wrote {stem}.md, {stem}.csv, {stem}_seeds.csv and {stem}.png')
    return report


if __name__ == '__main__':
    main()
