"""Train a distiller or a unimodal teacher with MMEngine's Runner.

Examples:
    python tools/train.py configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py
    python tools/train.py CONFIG --work-dir work_dirs/x --cfg-options train_cfg.max_epochs=1
    python tools/train.py CONFIG --resume              # latest checkpoint of the work dir
    python tools/train.py CONFIG --resume auto         # ... or from scratch if there is none
    python tools/train.py CONFIG --resume path/to/iter_100.pth
    python tools/train.py CONFIG --tensorboard          # + TensorBoard event files
    python tools/train.py CONFIG --cfg-options model.teacher_cache.path=CACHE
                                        # the teacher's outputs from tools/cache_teacher.py
    tools/dist_train.sh CONFIG 8                        # 8 processes via torchrun
"""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from fdkd_mm.engine.strict_runner import StrictLoadRunner
from fdkd_mm.teacher_cache import apply_teacher_cache
from fdkd_mm.config.run_config import add_tensorboard, load_run_config, resolve_resume
from fdkd_mm.config.run_options import add_run_options, apply_run_options
from fdkd_mm.models.distillers.validation import validate_distill_config
from fdkd_mm.engine.cpu_distributed import prepare_cpu_distributed, shutdown_distributed
from fdkd_mm.config.preflight import preflight
from fdkd_mm.tool_errors import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model from an fdkd_mm config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument('--resume', nargs='?', const=True, default=None,
                        help='resume training: without a value from the latest checkpoint of '
                        'the work dir (an error if there is none), "auto" for the same or '
                        'from scratch if there is none, or from the given checkpoint')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision training (AmpOptimWrapper; needs a GPU)')
    parser.add_argument('--tensorboard', action='store_true',
                        help='also log to TensorBoard, loss terms grouped (distill/, align/, '
                        'aux/, student/): tensorboard --logdir WORK_DIR')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher for distributed training')
    # torch.distributed.launch passes --local_rank, torchrun --local-rank; accept both.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_run_options(parser)  # --data-root, --batch-size, --workers, --epochs, --threads ...
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the command-line overrides."""
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    apply_run_options(cfg, args)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper != 'AmpOptimWrapper':
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.tensorboard:
        add_tensorboard(cfg)
    if args.resume is not None:
        try:
            cfg.resume, cfg.load_from = True, resolve_resume(args.resume, cfg.work_dir)
        except FileNotFoundError as error:
            raise SystemExit(f'error: {error}') from None
    return cfg


def main() -> None:
    args = parse_args()
    cfg = build_config(args)
    # Types, --cfg-options values and every file named, before anything is built or created.
    preflight(cfg, args.cfg_options, tool='train')
    # Input keys and class counts from the config alone, before anything is built; recorder
    # paths, mappings and widths are checked by the distiller when the runner builds it.
    validate_distill_config(cfg)
    # model.teacher_cache: check the teacher's input transforms, stop loading that input.
    apply_teacher_cache(cfg)
    prepare_cpu_distributed(cfg)
    # A resumed checkpoint must fit the model exactly; load_from (fine-tuning) stays lenient.
    runner = (StrictLoadRunner if cfg.resume else Runner).from_cfg(cfg)
    runner.train()
    shutdown_distributed()


if __name__ == '__main__':
    run_tool(main)
