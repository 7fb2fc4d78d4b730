"""Gather the validation metric of several MMEngine work dirs into one Markdown table.

For each work dir, every run folder ``<timestamp>/`` is read in order (resumed runs continue),
from ``vis_data/scalars.json`` or, when that is missing, the ``<timestamp>.log``. Two numbers
are reported per run, clearly apart:

* ``last``: the final validation, the number to report for a fixed schedule;
* ``best``: the maximum over all validations (minimum with ``--lower-is-better``) and its
  step, for reference only: picking it on the test split is selection on test data.

The metric defaults to the first of ``mIoU`` (mmseg), ``accuracy/top1`` (mmpretrain) present.

Example:
    python tools/analysis/collect_results.py work_dirs/ablations/* --out results.md
"""
import argparse
import os
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from fdkd_mm.analysis.results import markdown_table, read_val_records, summarize  # noqa: E402


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='MMEngine work dirs, one per run')
    parser.add_argument('--metric', help='metric key (default: mIoU or accuracy/top1)')
    parser.add_argument('--lower-is-better', action='store_true')
    parser.add_argument('--out', help='also write the table to this Markdown file')
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> str:
    """Print (and optionally write) the table; return it."""
    args = parse_args(argv)
    summaries, missing = [], []
    for work_dir in args.work_dirs:
        name = osp.basename(osp.normpath(work_dir))
        records = read_val_records(work_dir)
        if not records:
            missing.append(work_dir)
            continue
        summaries.append(summarize(name, records, args.metric, args.lower_is_better))
    table = markdown_table(summaries)
    print(table)
    for work_dir in missing:
        print(f'no validation results in {work_dir}', file=sys.stderr)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(table + '\n')
        print(f'wrote {args.out}')
    return table


if __name__ == '__main__':
    main()
