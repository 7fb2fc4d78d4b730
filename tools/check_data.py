"""Decode every sample of every split of a config, before training, and summarise the faults.

Each split's dataset is built as training would build it and every sample runs through its
full pipeline (decoding included); ``skip_bad_samples`` is switched off so every bad sample is
reported. Exit status 1 when any sample (or a split's dataset) is bad.

Example:
    python tools/check_data.py configs/fdkd/nyu_depth_to_rgb.py
    python tools/check_data.py CONFIG --splits test \
        --data-root data/nyu_depth_v2
"""
import argparse

from mmengine.config import DictAction

from fdkd_mm.config.preflight import preflight
from fdkd_mm.config.run_config import load_run_config
from fdkd_mm.config.run_options import add_run_options, apply_run_options
from fdkd_mm.datasets.check import SPLITS, check_config_data, format_reports
from fdkd_mm.tool_errors import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--splits', nargs='+', choices=SPLITS, default=list(SPLITS),
                        help='splits to check (default: all the config defines)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. the data roots')
    parser.add_argument('--shown', type=int, default=10, help='bad samples listed per split')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bars')
    add_run_options(parser, skip=('epochs',))  # --data-root, --pipeline-options ...
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    cfg = load_run_config(args.config, cfg_options=args.cfg_options)
    apply_run_options(cfg, args)
    # Types and --cfg-options values; the data itself is what this tool reports, split by split.
    preflight(cfg, args.cfg_options, paths=False)
    reports = check_config_data(cfg, args.splits, progress=not args.no_progress)
    print(format_reports(reports, args.shown))
    return 0 if all(report.ok for report in reports) else 1


if __name__ == '__main__':
    run_tool(main)
