"""Evaluate a checkpoint (distiller or plain model) with the config's test loop.

The checkpoint must fit the config's model exactly: a missing, unexpected or mis-shaped key
stops the test with a short summary (the full key lists go to the log file) instead of
evaluating random weights.

Example:
    python tools/test.py configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py \
        work_dirs/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu/epoch_50.pth
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.dist import get_rank

from fdkd_mm.checkpoint.atomic import write_text_atomic
from fdkd_mm.engine.strict_runner import StrictLoadRunner
from fdkd_mm.config.run_config import enable_show_dir, load_run_config
from fdkd_mm.config.run_options import add_run_options, apply_run_options
from fdkd_mm.teacher_cache.run_config import cached_eval_pipelines
from fdkd_mm.engine.cpu_distributed import prepare_cpu_distributed, shutdown_distributed
from fdkd_mm.checkpoint.safe_loading import CorruptCheckpointError, UnsafeCheckpointError
from fdkd_mm.checkpoint.strict_loading import CheckpointMismatchError
from fdkd_mm.config.preflight import preflight
from fdkd_mm.tool_errors import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint with an fdkd_mm config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint to evaluate')
    parser.add_argument('--work-dir', help='where the test logs go')
    parser.add_argument('--out', help='write the metrics as JSON to this file')
    parser.add_argument('--show-dir', help='draw every prediction into this folder '
                        '(segmentation: <dir>/vis_data/vis_image/)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. test_dataloader.batch_size=1')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher for distributed testing')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_run_options(parser)  # --data-root, --batch-size, --workers, --threads ...
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def check_out_path(path: str) -> None:
    """Fail now, not after the evaluation, when ``--out`` cannot be written.

    Creates missing parent folders and writes (then removes) a probe file next to ``path``.
    """
    if osp.isdir(path):
        raise SystemExit(f'error: --out {path} is a folder; give a file name, e.g. '
                         f'{osp.join(path, "metrics.json")}')
    probe = f'{path}.probe{os.getpid()}'
    try:
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with open(probe, 'w'):
            pass
        os.remove(probe)
    except OSError as error:
        raise SystemExit(f'error: --out {path} cannot be written: {error.strerror or error}')


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: checkpoint {args.checkpoint!r} does not exist')
    if args.out:
        check_out_path(args.out)
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    apply_run_options(cfg, args)
    cached_eval_pipelines(cfg)  # a cached teacher's modality is not loaded to test
    cfg.load_from = args.checkpoint
    if cfg.model.get('teacher_ckpt'):
        # load_from restores every weight, the teacher's included: testing a distiller
        # checkpoint must not need the teacher run's files.
        cfg.model.teacher_ckpt = None
    # Types, --cfg-options values, the checkpoint's archive and the test data, before building.
    preflight(cfg, args.cfg_options, tool='test')
    if args.show_dir:
        enable_show_dir(cfg, args.show_dir)
    prepare_cpu_distributed(cfg)
    runner = StrictLoadRunner.from_cfg(cfg)
    try:
        metrics = runner.test()
    except (CheckpointMismatchError, CorruptCheckpointError, UnsafeCheckpointError) as error:
        raise SystemExit(f'error: {error}') from None
    text = json.dumps({k: float(v) for k, v in metrics.items()})
    if args.out and get_rank() == 0:
        write_text_atomic(args.out, json.dumps(json.loads(text), indent=2))
    print(text)
    shutdown_distributed()


if __name__ == '__main__':
    run_tool(main)
