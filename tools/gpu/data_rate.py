"""Section ``data``: samples/s of each pair's training data loader with the machine's cores.

For the datasets of the step section (NYU, CREMA-D, CrisisMMD), synthetic data at real media
sizes (``write_realistic``, as ``tools/analysis/benchmark_data.py``) goes through the config's
own training pipeline in MMEngine's DataLoader (``Runner.build_dataloader``, an infinite
shuffled sampler, the paper's batch) with one worker per core, and in the main process
(``num_workers=0``: one worker's rate). The first batch (worker start-up) is not timed. The
report sets these rates against the step section's samples/s to say whether the loader or the
device bounds a step.
"""
import os
import os.path as osp
import time

from common import Context, TimeLimit, error_text

DATASETS = dict(
    nyu=dict(config='configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py', batch=8,
             samples=48),
    cremad=dict(config='configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py', batch=64,
                samples=96),
    crisismmd=dict(config='configs/fdkd/fdkd_bert-text_mbv2-image_crisismmd.py', batch=32,
                   samples=96))
QUICK = dict(batch=2, samples=4, workers=2, batches=2)
#: Seconds of batches timed per loader (at most), after the first batch.
TIMED_S = 6.0
MAX_BATCHES = 60


def time_loader(dataset_cfg, batch_size: int, workers: int, max_batches: int,
                seconds: float) -> dict:
    """Samples/s of a DataLoader over ``dataset_cfg`` (first batch excluded)."""
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(dict(
        batch_size=batch_size, num_workers=workers, persistent_workers=False,
        sampler=dict(type='InfiniteSampler', shuffle=True), collate_fn=dict(type='pseudo_collate'),
        dataset=dataset_cfg), seed=0)
    iterator = iter(loader)
    start = time.perf_counter()
    next(iterator)
    first_s = time.perf_counter() - start
    start, batches = time.perf_counter(), 0
    while batches < max_batches and time.perf_counter() - start < seconds:
        next(iterator)
        batches += 1
    elapsed = time.perf_counter() - start
    del iterator  # stops the workers
    return dict(workers=workers, batches=batches, first_batch_s=round(first_s, 3),
                samples_per_s=batches * batch_size / elapsed if batches else None)


def bench_dataset(name: str, spec: dict, ctx: Context) -> dict:
    """Both loaders of one dataset on synthetic data written for it."""
    import copy

    import benchmark_cache
    from mmengine.config import Config

    from fdkd_mm.datasets.throughput import write_realistic
    cfg = Config.fromfile(spec['config'])
    tmp = osp.join(ctx.workdir, name)
    samples = QUICK['samples'] if ctx.quick else spec['samples']
    data_root = write_realistic(cfg.train_dataloader.dataset.type, osp.join(tmp, 'data'),
                                samples)
    benchmark_cache.offline(cfg, tmp, data_root)  # data root, local tokenizer
    dataset_cfg = cfg.train_dataloader.dataset
    batch = QUICK['batch'] if ctx.quick else spec['batch']
    workers = QUICK['workers'] if ctx.quick else len(os.sched_getaffinity(0))
    batches = QUICK['batches'] if ctx.quick else MAX_BATCHES
    out = dict(config=spec['config'], batch=batch, synthetic_samples=samples)
    out['all_cores'] = time_loader(copy.deepcopy(dataset_cfg), batch, workers, batches,
                                   TIMED_S)
    out['main_process'] = time_loader(copy.deepcopy(dataset_cfg), batch, 0,
                                      max(1, batches // 4), TIMED_S / 3)
    return out


def run(ctx: Context) -> None:
    """Time every dataset's loaders; one failing dataset leaves the others.

    Args:
        ctx: The section's context; fills ``ctx.result['datasets']``.
    """
    from mmengine.registry import init_default_scope

    import fdkd_mm  # noqa: F401
    init_default_scope('fdkd_mm')
    ctx.result.update(cores=len(os.sched_getaffinity(0)), datasets={})
    failed, late = [], []
    for name, spec in DATASETS.items():
        if ctx.left() < 5:
            ctx.result['datasets'][name] = dict(config=spec['config'], error='no time left')
            late.append(name)
            continue
        try:
            ctx.result['datasets'][name] = bench_dataset(name, spec, ctx)
        except Exception as error:  # noqa: BLE001 (recorded; the next dataset still runs)
            ctx.result['datasets'][name] = dict(config=spec['config'], error=error_text(error))
            failed.append(name)
        ctx.result.save()
    if failed:
        raise RuntimeError(f'datasets that failed: {failed}')
    if late:
        raise TimeLimit(f'no time left for {late}')
