"""Evaluate a checkpoint (distiller or plain model) with the config's test loop.

Example:
    python tools/test.py configs/fdkd/nyu_depth_to_rgb.py work_dirs/nyu_depth_to_rgb/epoch_50.pth
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.runner import Runner

from fdkd_mm.utils.cli import enable_show_dir, load_run_config
from fdkd_mm.utils.dist import prepare_cpu_distributed


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
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint!r} does not exist')
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    cfg.load_from = args.checkpoint
    if cfg.model.get('teacher_ckpt'):
        # load_from restores every weight, the teacher's included: testing a distiller
        # checkpoint must not need the teacher run's files.
        cfg.model.teacher_ckpt = None
    if args.show_dir:
        enable_show_dir(cfg, args.show_dir)
    prepare_cpu_distributed(cfg)
    metrics = Runner.from_cfg(cfg).test()
    if args.out:
        with open(args.out, 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
    print(json.dumps({k: float(v) for k, v in metrics.items()}))


if __name__ == '__main__':
    main()
