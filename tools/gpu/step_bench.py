"""Section ``step``: the distillation training step at the paper's sizes, fp32 and AMP (bf16).

For each pair of :data:`PAIRS` the models are built once from the FD-CMKD config (random
weights, no download, plain BN) and these steps are timed in one process, *interleaved* (one
round runs every variant once in both precisions), with the device synchronised around each:

* (a) the student alone; (b) (a) plus the frozen teacher's forward, the floor of any live
  distiller; (c) FD-CMKD with the live teacher; (d) Feat (FD-CMKD with every switch off:
  plain feature MSE); (f) FD-CMKD reading the teacher from a teacher cache, for the pairs
  whose teacher input can be cached (not NYU: its teacher's depth is augmented).

The steps, batches and ratios are those of ``tools/analysis/benchmark_distill.py`` (NYU,
synthetic batch) and ``tools/analysis/benchmark_cache.py`` (classification, a batch made by
the config's own pipeline from synthetic data at real media sizes); this adds the rounds'
time box, both precisions in one round and the report. Per pair: medians, minima, the ratios
of the medians and *paired* ratios (median over rounds of x_i / y_i, timed back to back), the
AMP speed-up per variant, samples/s, and on CUDA the peak memory of the pair.
"""
import argparse
import copy
import statistics
import tempfile
import time
from typing import Callable

import torch

from common import Context, error_text

PAIRS = dict(
    nyu=dict(config='configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py', task='seg',
             batch=8, crop=(480, 640), quick_batch=2, quick_crop=(32, 40)),
    cremad=dict(config='configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py', task='cls',
                batch=64, quick_batch=2),
    crisismmd=dict(config='configs/fdkd/fdkd_bert-text_mbv2-image_crisismmd.py', task='cls',
                   batch=32, quick_batch=2))
PRECISIONS = dict(fp32=None, bf16='bf16')
#: The benchmarks' step names -> the letters of the report.
LETTERS = dict(a_student='a', b_student_teacher='b', c_fd='c', c_live='c', d_feat='d',
               f_cached='f')
RATIOS = {'c/b': ('c', 'b'), 'c/a': ('c', 'a'), 'd/b': ('d', 'b'), 'b/a': ('b', 'a'),
          'f/a': ('f', 'a'), 'f/c': ('f', 'c')}
WARMUP = dict(full=3, quick=1)
MAX_ROUNDS = dict(full=30, quick=2)
MIN_ROUNDS = 3  # below this a pair's medians mean little; still reported


def seg_steps(spec: dict, batch_size: int, crop: tuple, device: torch.device) -> dict:
    """NYU's steps per precision, through benchmark_distill's builders."""
    import benchmark_distill as bd
    args = argparse.Namespace(config=spec['config'], cfg_options={}, teacher_ckpt=None,
                              crop=crop, device=str(device))
    models = bd.build_models(args)
    num_classes = models['fd'].losses[bd.fd_loss_name(models['fd'])].num_classes
    batch = bd.make_batch(models['cfg'], batch_size, crop, num_classes)
    return {name: bd.make_steps(models, batch, device, amp) for name, amp in PRECISIONS.items()}


def feat_twin(parts: dict) -> torch.nn.Module:
    """The live distiller's config with every FD-CMKD switch off (Feat), on its device."""
    import benchmark_distill as bd

    from fdkd_mm.registry import MODELS
    model_cfg = copy.deepcopy(parts['cfg'].model.to_dict())
    name = bd.fd_loss_name(parts['live'])
    model_cfg['distill_losses'][name]['ablation'] = dict(frequency=False, align=False,
                                                         scale=False, log=False)
    device = next(parts['live'].parameters()).device
    return MODELS.build(model_cfg).train().to(device)


def quick_sizes(cfg) -> None:
    """``--quick``: 32-pixel crops, 16 tokens and a one-layer BERT, in place. The same
    networks otherwise (the same code path), at a fraction of the cost on a CPU."""
    for transform in cfg.train_dataloader.dataset.pipeline:
        kind = str(transform['type']).rsplit('.', 1)[-1]
        if kind.endswith('RandomResizedCrop'):
            transform['scale'] = 32
        elif kind == 'TokenizeText':
            transform['max_length'] = 16
    for network in (cfg.model.student, cfg.model.teacher):
        if str(network.backbone.type).endswith('HFTextEncoder'):
            network.backbone['config'] = dict(model_type='bert', num_hidden_layers=1)


def cls_steps(spec: dict, batch_size: int, device: torch.device, tmp: str,
              quick: bool) -> dict:
    """A classification pair's steps per precision, through benchmark_cache's builders."""
    import benchmark_cache as bc
    from mmengine.config import Config
    cfg = Config.fromfile(spec['config'])
    if quick:
        quick_sizes(cfg)
    parts = bc.build_variants(cfg, batch_size, tmp, str(device))
    parts['feat'] = feat_twin(parts)
    steps = {name: bc.make_steps(parts, amp) for name, amp in PRECISIONS.items()}
    steps['cache_build_s'] = parts['cache_s']
    return steps


def flatten(steps: dict) -> dict[str, Callable]:
    """``{precision: {benchmark name: step}}`` → ``{'a_fp32': step, ...}`` in a, b, c, d, f
    order, precisions alternating inside each letter (back to back, for the AMP ratios)."""
    named = {f'{LETTERS[name]}_{precision}': step for precision, group in steps.items()
             for name, step in group.items()}
    return {key: named[key] for key in sorted(named, key=lambda k: (k[0], k[2:]))}


def time_rounds(steps: dict[str, Callable], device: torch.device, warmup: int,
                max_rounds: int, deadline: float, save: Callable[[dict], None]) -> dict:
    """Interleaved rounds until ``max_rounds`` or until the next would pass ``deadline``.

    ``save`` gets the timings after every round, so a pair cut short keeps its rounds.
    """
    from benchmark_distill import time_interleaved
    time_interleaved(steps, warmup, 0, device, progress=False)
    times = {name: [] for name in steps}
    while len(times['a_fp32']) < max_rounds:
        start = time.time()
        for name, values in time_interleaved(steps, 0, 1, device, progress=False).items():
            times[name] += values
        save(times)
        if time.time() + (time.time() - start) > deadline:
            break
    return times


def summarise(times: dict, batch_size: int) -> dict:
    """Medians, minima, ratios per precision, AMP speed-ups and samples/s of one pair."""
    from benchmark_distill import pair_ratios, summarize
    rounds = min(len(v) for v in times.values())
    out = dict(rounds=rounds, times={k: summarize(v) for k, v in times.items() if v},
               ratios={}, amp_speedup={}, samples_per_s={})
    if rounds == 0:
        return out
    for precision in PRECISIONS:
        pairs = {name: (f'{num}_{precision}', f'{den}_{precision}')
                 for name, (num, den) in RATIOS.items()
                 if f'{num}_{precision}' in times and f'{den}_{precision}' in times}
        ratios = pair_ratios(times, pairs)
        out['ratios'][precision] = dict(of_medians=ratios['of_medians'],
                                        paired=ratios['paired'])
    letters = sorted({name.split('_')[0] for name in times})
    speedup = pair_ratios(times, {letter: (f'{letter}_fp32', f'{letter}_bf16')
                                  for letter in letters})
    out['amp_speedup'] = dict(of_medians=speedup['of_medians'], paired=speedup['paired'])
    out['samples_per_s'] = {name: batch_size / statistics.median(values)
                            for name, values in times.items()}
    return out


def bench_pair(name: str, spec: dict, ctx: Context, deadline: float) -> None:
    """Build, time and summarise one pair into ``ctx.result['pairs'][name]``."""
    device = torch.device(ctx.device)
    mode = 'quick' if ctx.quick else 'full'
    batch_size = spec['quick_batch' if ctx.quick else 'batch']
    record = ctx.result['pairs'][name] = dict(config=spec['config'], batch=batch_size,
                                              status='building')
    if spec['task'] == 'seg':
        record['crop'] = list(spec['quick_crop' if ctx.quick else 'crop'])
        record['f'] = ('not applicable: the teacher cache refuses NYU (its depth input is '
                       'randomly resized, cropped and flipped)')
    ctx.result.save()
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    start = time.time()
    with tempfile.TemporaryDirectory(dir=ctx.workdir) as tmp:
        if spec['task'] == 'seg':
            steps = seg_steps(spec, batch_size, tuple(record['crop']), device)
        else:
            steps = cls_steps(spec, batch_size, device, tmp, ctx.quick)
            record['cache_build_s'] = steps.pop('cache_build_s')
        record.update(build_s=round(time.time() - start, 2), status='timing')
        ctx.result.save()

        def save(times: dict) -> None:
            record.update(summarise(times, batch_size))
            ctx.result.save()

        times = time_rounds(flatten(steps), device, WARMUP[mode], MAX_ROUNDS[mode], deadline,
                            save)
    record.update(summarise(times, batch_size), status='done')
    if record['rounds'] < min(MIN_ROUNDS, MAX_ROUNDS[mode]):
        record['note'] = f'only {record["rounds"]} rounds fitted in the time box'
    if device.type == 'cuda':
        record['peak_memory_gib'] = round(torch.cuda.max_memory_allocated(device) / 2 ** 30, 2)
    ctx.result.save()


def run(ctx: Context) -> None:
    """Benchmark every pair in turn, each within its share of the section's time.

    Args:
        ctx: The section's context; fills ``ctx.result['pairs']``.
    """
    from mmengine.registry import init_default_scope

    import fdkd_mm  # noqa: F401  (registers the models)
    init_default_scope('fdkd_mm')
    device = torch.device(ctx.device)
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True  # as the configs' env_cfg trains
    ctx.result.update(device=ctx.device, precisions=list(PRECISIONS), pairs={},
                      threads=torch.get_num_threads())
    failed = []
    names = list(PAIRS)
    for index, name in enumerate(names):
        # An equal share of what is left, so a pair that finishes early leaves time to the rest.
        deadline = time.time() + ctx.left() / (len(names) - index)
        try:
            bench_pair(name, PAIRS[name], ctx, deadline)
        except Exception as error:  # noqa: BLE001 (recorded; the next pair still runs)
            ctx.result['pairs'][name].update(status='error', error=error_text(error))
            failed.append(name)
        finally:
            if device.type == 'cuda':
                torch.cuda.empty_cache()
        ctx.result.save()
    if failed:
        raise RuntimeError(f'pairs that failed: {failed}')
