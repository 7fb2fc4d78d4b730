"""Run a distiller config's frozen teacher once over its data and cache what the losses read.

Writes, per sample, every teacher tensor the config's losses map (or ``--recorders``: names,
or ``all`` the pair offers), pooled as each recorder asks, into memory-mapped arrays keyed by
dataset index, with a manifest of what they were computed from (teacher checkpoint sha256,
teacher network, recorders, the teacher's input transforms, the dataset). Each split is
written under a temporary name and renamed when complete. Then train with::

    python tools/train.py CONFIG --cfg-options model.teacher_cache.path=OUT

A fusion teacher (``model.teacher_input`` a list, e.g. ``configs/mm/*_avmnist.py``) runs on
all its inputs, each held to the rules of a one-input teacher.

Refused (with the reason): a teacher input (any of a fusion teacher's) that passes a random
transform, a trainable teacher (DML, C2KD), a config without a teacher checkpoint. See
docs/teacher_cache.md.

Examples:
    python tools/cache_teacher.py configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py
    python tools/cache_teacher.py configs/mm/kd_fusion-r18-ia_r18-image_avmnist.py
    python tools/cache_teacher.py configs/kd/kd_bert-text_mbv2-image_crisismmd.py \\
        --recorders logits feat --dtype fp16 --splits train val
"""
import argparse
import os
import sys

from mmengine.config import Config, DictAction

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from fdkd_mm.config.preflight import preflight  # noqa: E402
from fdkd_mm.config.run_options import add_run_options, apply_run_options  # noqa: E402
from fdkd_mm.teacher_cache.build import SPLITS, build_teacher_cache  # noqa: E402
from fdkd_mm.teacher_cache.store import DTYPES  # noqa: E402
from fdkd_mm.tool_errors import run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Cache a distiller\'s frozen teacher outputs')
    parser.add_argument('config', help='distiller config (the run that will read the cache)')
    parser.add_argument('--out', help='cache root (default: work_dirs/teacher_cache/'
                        '<teacher run>_<checkpoint>)')
    parser.add_argument('--dtype', choices=sorted(DTYPES), default='fp32',
                        help='storage precision (fp32: the live losses exactly)')
    parser.add_argument('--splits', nargs='+', choices=sorted(SPLITS), default=['train'],
                        help='which dataloaders\' datasets to cache')
    parser.add_argument('--recorders', nargs='+', default=['used'],
                        help='teacher recorders to cache: "used" (the config\'s losses), '
                        '"all" (every one the pair offers), or names, e.g. logits feat')
    parser.add_argument('--device', help='default: cuda if available, else cpu')
    parser.add_argument('--overwrite', action='store_true', help='replace existing caches')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.teacher_ckpt=...')
    # --batch-size (the teacher's batch: default the training batch, for bit-identical
    # outputs), --workers / --num-workers (default the config's), --data-root ...
    add_run_options(parser)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    apply_run_options(cfg, args)
    preflight(cfg, args.cfg_options, tool='cache')
    recorders = args.recorders[0] if args.recorders in (['used'], ['all']) else args.recorders
    stores = build_teacher_cache(cfg, args.out, args.dtype, args.splits, recorders,
                                 args.batch_size, cfg.train_dataloader.num_workers,
                                 args.device, args.overwrite)
    root = os.path.dirname(next(iter(stores.values())))
    print(f'teacher cache written: {", ".join(stores.values())}\n'
          f'train with: --cfg-options model.teacher_cache.path={root}')
    return stores


if __name__ == '__main__':
    run_tool(main)
