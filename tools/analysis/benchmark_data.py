"""Samples/s of a config's training pipeline per dataloader worker, stage by stage.

Runs the config's training dataset (its own pipeline) in this one process, timing every
transform, and prints how many workers a given training step rate needs. Without the real data
(``--synthetic``) it first writes synthetic data in the dataset's layout at real media sizes
(see :mod:`fdkd_mm.datasets.throughput`).

Examples:
    python tools/analysis/benchmark_data.py configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py
    python tools/analysis/benchmark_data.py CONFIG --synthetic 48 --samples 40 \\
        --step-rates 2 5 10 --out work_dirs/data_bench.json
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
from typing import Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Benchmark a training data pipeline')
    parser.add_argument('config')
    parser.add_argument('--synthetic', type=int, metavar='N',
                        help='write N synthetic training samples at real media sizes into a '
                        'temporary directory and read those (no real data needed)')
    parser.add_argument('--data-root', help='override train_dataloader.dataset.data_root')
    parser.add_argument('--samples', type=int, default=32, help='samples timed')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--batch-size', type=int, help='default: the config\'s training batch')
    parser.add_argument('--step-rates', type=float, nargs='+', default=[1, 2, 5, 10],
                        help='training steps per second to size the workers for')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch / OpenCV threads (a dataloader worker uses one)')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def main(argv: Optional[list] = None) -> dict:
    args = parse_args(argv)
    import cv2
    import torch
    from mmengine.config import Config
    from mmengine.registry import DATASETS, init_default_scope

    import fdkd_mm  # noqa: F401  (registers datasets and transforms)
    from fdkd_mm.datasets.throughput import (format_report, profile_pipeline,
                                                  workers_needed, write_realistic)
    # As in a dataloader worker: MMEngine sets OpenCV to one thread, torch uses one.
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'fdkd_mm'))
    dataset_cfg = cfg.train_dataloader.dataset
    batch_size = args.batch_size or cfg.train_dataloader.batch_size
    with tempfile.TemporaryDirectory() as tmp:
        if args.synthetic:
            dataset_cfg.data_root = write_realistic(dataset_cfg.type, osp.join(tmp, 'data'),
                                                    args.synthetic)
        elif args.data_root:
            dataset_cfg.data_root = args.data_root
        dataset = DATASETS.build(dataset_cfg)
        profile = profile_pipeline(dataset, args.samples, args.warmup)
    rate = profile.samples_per_s
    title = (f'`{args.config}` training pipeline, {dataset_cfg.type}'
             f'{" (synthetic, real media sizes)" if args.synthetic else ""}, '
             f'{args.threads} thread(s)')
    print(format_report(profile, batch_size, args.step_rates, title))
    report = dict(
        config=args.config, dataset=dataset_cfg.type, synthetic=bool(args.synthetic),
        samples=profile.samples, threads=args.threads, batch_size=batch_size,
        samples_per_s_per_worker=rate, slowest_stage=profile.slowest().name,
        stages=[dict(name=s.name, mean_ms=s.mean_ms, median_ms=s.median_ms)
                for s in profile.stages],
        workers=[dict(steps_per_s=steps, workers=workers_needed(rate, steps, batch_size))
                 for steps in args.step_rates])
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=2)
    return report


if __name__ == '__main__':
    main()
