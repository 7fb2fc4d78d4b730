"""Distillation at the cost of the student alone: a cached teacher against the live one.

For each classification config whose teacher input is deterministic (CREMA-D and AVE audio ->
visual, CrisisMMD text -> image), full-size networks (random weights, no downloads) are timed
on one batch made by the config's own training pipeline from synthetic data at real media
sizes, in one process and *interleaved* (one round = a, b, c, f; medians reported):

* (a) the student alone: its own ``train_step`` (preprocess, forward, loss, backward, step);
* (b) (a) plus the frozen teacher's forward: the floor of any live distiller;
* (c) the live distiller's ``train_step``;
* (f) the same distiller reading its teacher from a teacher cache (``teacher_cache``), on the
  batch of the pipeline a cached run uses (the teacher's modality not loaded).

Ratios f/a (target <= 1.05) and f/c are reported side by side: of the medians, of the
minima (the least disturbed runs), paired (the median over rounds of f_i / a_i, timed back to
back) and over the *undisturbed* rounds only (every variant within 25 % of its minimum; on a
machine shared with other jobs, bursts of load slow single rounds several times over). With
one torch thread (``--threads 1``) a competing process costs a 2-core machine least.

With ``--epoch`` it also times one full epoch of a synthetic CREMA-D run with data loading
through MMEngine's Runner: the student alone, the live FD distiller and the cached one (the
cache built first, its time reported apart).

Example:
    python tools/analysis/benchmark_cache.py configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py \\
        --batch-size 8 --repeats 10 --threads 2 --epoch --out work_dirs/bench_cache.json
"""
import argparse
import copy
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Callable, Optional

import torch
from mmengine.hooks import Hook

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
for path in (REPO, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

from benchmark_distill import (AMP_DTYPES, _plain_bn, autocast_for,  # noqa: E402
                               optim_wrapper_for, pair_ratios, summarize, time_interleaved,
                               write_report)

DEFAULT_CONFIGS = ('configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py',
                   'configs/fdkd/fdkd_r18-audio_r18-visual_ave.py',
                   'configs/fdkd/fdkd_bert-text_mbv2-image_crisismmd.py')
EPOCH_CONFIGS = dict(live='configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py',
                     student='configs/uni/uni_r18-visual_cremad.py')
VARIANTS = ('a_student', 'b_student_teacher', 'c_live', 'f_cached')
PAIRS = {'f/a': ('f_cached', 'a_student'), 'f/c': ('f_cached', 'c_live'),
         'c/a': ('c_live', 'a_student'), 'b/a': ('b_student_teacher', 'a_student')}
EPOCH_PAIRS = {'cached/student': ('cached', 'student'), 'cached/live': ('cached', 'live'),
               'live/student': ('live', 'student')}
# A tokenizer vocabulary for the synthetic tweets (BERT-base's 30,522 ids cover it).
VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'informative', 'not', 'the', 'storm',
         'today', 'near', 'city', 'via', 'news']


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark cached against live teachers')
    parser.add_argument('configs', nargs='*', default=list(DEFAULT_CONFIGS))
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--threads', type=int, default=2, help='torch CPU threads')
    parser.add_argument('--device', default='cpu', help='where the steps run (cpu, cuda)')
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES), default=None,
                        help='mixed precision for the steps (see benchmark_distill.py)')
    parser.add_argument('--epoch', action='store_true',
                        help='also time one epoch of a synthetic CREMA-D run (Runner, data '
                        'loading included): student alone, live FD, cached FD')
    parser.add_argument('--epoch-clips', type=int, default=96)
    parser.add_argument('--epoch-batch', type=int, default=16)
    parser.add_argument('--epoch-workers', type=int, default=0)
    parser.add_argument('--epoch-rounds', type=int, default=2)
    parser.add_argument('--out', help='write the results as JSON here')
    return parser.parse_args(argv)


# ------------------------------------------------------------------------------ configs
def local_tokenizer(tmp: str) -> str:
    path = osp.join(tmp, 'tokenizer')
    os.makedirs(path, exist_ok=True)
    with open(osp.join(path, 'vocab.txt'), 'w') as f:
        f.write('\n'.join(VOCAB) + '\n')
    with open(osp.join(path, 'tokenizer_config.json'), 'w') as f:
        f.write('{"tokenizer_class": "BertTokenizer", "do_lower_case": true}')
    return path


def offline(cfg, tmp: str, data_root: str) -> None:
    """Real networks without downloads or local weights, synthetic data, plain BN (in place)."""
    model = cfg.model
    for network in ([model.student, model.teacher] if 'student' in model else [model]):
        network.pop('pretrained', None)
        backbone = network.backbone
        backbone.pop('init_cfg', None)
        if str(backbone.type).endswith('HFTextEncoder'):
            # BERT-base, or the text-model config already set (e.g. fewer layers).
            text_config = {'model_type': 'bert', **(backbone.get('config') or {})}
            backbone.update(pretrained=None, config=text_config)
    _plain_bn(cfg.model)
    cfg.train_dataloader.dataset.data_root = data_root
    for transform in cfg.train_dataloader.dataset.pipeline:
        if str(transform.type).endswith('TokenizeText'):
            transform.tokenizer_path = local_tokenizer(tmp)


def save_random_teacher(cfg, path: str) -> None:
    from fdkd_mm.registry import MODELS
    torch.manual_seed(0)
    teacher = MODELS.build(cfg.model.teacher)
    torch.save(dict(state_dict=teacher.state_dict()), path)
    cfg.model.teacher_ckpt = path


# -------------------------------------------------------------------------------- steps
def build_variants(cfg, batch_size: int, tmp: str, device: str = 'cpu') -> dict:
    """Models, batches and the cache of one config (see the module docstring).

    Args:
        cfg: The distiller's ``Config``.
        batch_size: Samples of the batch (and of the synthetic dataset and its cache).
        tmp: A scratch folder (data, teacher checkpoint, cache).
        device: Where the models go and the cache is computed.

    Returns:
        ``cfg`` (made offline), the models ``live``, ``cached``, ``student`` and ``teacher``,
        ``cache_s`` (seconds to build the cache) and the two collated batches.
    """
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DATASETS

    from fdkd_mm.datasets.throughput import write_realistic
    from fdkd_mm.registry import MODELS
    from fdkd_mm.teacher_cache import apply_teacher_cache
    from fdkd_mm.teacher_cache.build import build_teacher_cache
    cfg = copy.deepcopy(cfg)
    data_root = write_realistic(cfg.train_dataloader.dataset.type, osp.join(tmp, 'data'),
                                batch_size)
    offline(cfg, tmp, data_root)
    save_random_teacher(cfg, osp.join(tmp, 'teacher.pth'))
    start = time.perf_counter()
    build_teacher_cache(cfg, osp.join(tmp, 'cache'), batch_size=batch_size, device=device,
                        progress=False)
    cache_s = time.perf_counter() - start
    live = MODELS.build(cfg.model.to_dict()).train()
    cached_cfg = copy.deepcopy(cfg)
    cached_cfg.model.teacher_cache = dict(path=osp.join(tmp, 'cache'))
    apply_teacher_cache(cached_cfg)
    cached = MODELS.build(cached_cfg.model.to_dict()).train()
    cached.load_state_dict({k: v for k, v in live.state_dict().items()
                            if not k.startswith('teacher.')})
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    cached_dataset = DATASETS.build(cached_cfg.train_dataloader.dataset)
    cached.teachers['teacher'].check_data(cached_dataset, cached_cfg.train_dataloader.dataset,
                                          'train_dataloader.dataset.pipeline')
    student, teacher = copy.deepcopy(live.student).train(), copy.deepcopy(live.teacher).eval()
    return dict(cfg=cfg, live=live.to(device), cached=cached.to(device),
                student=student.to(device), teacher=teacher.to(device), cache_s=cache_s,
                batch=pseudo_collate([dataset[i] for i in range(batch_size)]),
                cached_batch=pseudo_collate([cached_dataset[i] for i in range(batch_size)]))


def make_steps(parts: dict, amp: Optional[str] = None) -> dict[str, Callable]:
    """One callable per variant; each runs one full training step.

    Args:
        parts: As :func:`build_variants` returns them; with a ``feat`` model (the distiller
            with every FD-CMKD switch off) a ``d_feat`` step is added.
        amp: None (float32) or a key of ``AMP_DTYPES`` (see ``benchmark_distill``).

    Returns:
        Variant name → a callable running one training step.
    """
    cfg, batch = parts['cfg'], parts['batch']
    student_key, teacher_key = cfg.model.student_input, cfg.model.teacher_input
    models = [('a', 'student'), ('c', 'live'), ('f', 'cached')]
    models += [('d', 'feat')] if 'feat' in parts else []
    wrappers = {name: optim_wrapper_for(parts[model], amp) for name, model in models}
    device = next(parts['student'].parameters()).device

    def student_data(source: dict) -> dict:
        return dict(inputs=source['inputs'][student_key],
                    data_samples=copy.deepcopy(source['data_samples']))

    def step_a() -> None:
        parts['student'].train_step(student_data(batch), wrappers['a'])

    def step_b() -> None:
        teacher = parts['teacher']
        data = teacher.data_preprocessor(dict(inputs=batch['inputs'][teacher_key]), True)
        with torch.no_grad(), autocast_for(device, amp):  # as in c's forward
            teacher(data['inputs'], None, mode='tensor')
        parts['student'].train_step(student_data(batch), wrappers['a'])

    def distiller_step(model: str, source: dict, wrapper: str) -> Callable:
        def step() -> None:
            parts[model].train_step(dict(inputs=dict(source['inputs']),
                                         data_samples=copy.deepcopy(source['data_samples'])),
                                    wrappers[wrapper])
        return step

    steps = dict(a_student=step_a, b_student_teacher=step_b,
                 c_live=distiller_step('live', batch, 'c'),
                 f_cached=distiller_step('cached', parts['cached_batch'], 'f'))
    if 'feat' in parts:
        steps['d_feat'] = distiller_step('feat', batch, 'd')
    return steps


#: A round is undisturbed when every variant took at most this times its fastest round.
CLEAN_FACTOR = 1.25


def clean_rounds(times: dict) -> list[int]:
    """Indices of the rounds in which no variant was slowed by outside load."""
    rounds = range(len(next(iter(times.values()))))
    return [i for i in rounds
            if all(values[i] <= CLEAN_FACTOR * min(values) for values in times.values())]


def ratios(times: dict) -> dict:
    clean = clean_rounds(times)
    return dict(
        **pair_ratios(times, PAIRS),
        clean_rounds=len(clean),
        clean_paired={n: statistics.median(times[a][i] / times[b][i] for i in clean)
                      if clean else None for n, (a, b) in PAIRS.items()})


def bench_config(cfg, args: argparse.Namespace) -> dict:
    """Time the four variants of one config (a ``Config``)."""
    with tempfile.TemporaryDirectory() as tmp:
        parts = build_variants(cfg, args.batch_size, tmp, args.device)
        times = time_interleaved(make_steps(parts, args.amp), args.warmup, args.repeats,
                                 torch.device(args.device), progress=True)
    return dict(config=cfg.filename, batch_size=args.batch_size, cache_build_s=parts['cache_s'],
                times={name: summarize(values) for name, values in times.items()},
                samples_s=times, ratios=ratios(times))


# -------------------------------------------------------------------------------- epoch
class EpochClock(Hook):
    """A hook timing the training epoch and the waits for data inside it."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self.epoch_s = self.data_s = 0.0
        self._start = self._last = 0.0

    def before_train_epoch(self, runner) -> None:
        self._start = self._last = time.perf_counter()

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.data_s += time.perf_counter() - self._last

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._last = time.perf_counter()

    def after_train_epoch(self, runner) -> None:
        self.epoch_s = time.perf_counter() - self._start


def epoch_cfg(base, name: str, args: argparse.Namespace, tmp: str, data_root: str,
              teacher_ckpt: Optional[str]):
    cfg = copy.deepcopy(base)
    offline(cfg, tmp, data_root)
    if teacher_ckpt is not None:
        cfg.model.teacher_ckpt = teacher_ckpt
    cfg.train_dataloader.update(batch_size=args.epoch_batch, num_workers=args.epoch_workers,
                                persistent_workers=False)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=10 ** 6)
    for stage in ('val', 'test'):
        cfg[f'{stage}_cfg'] = cfg[f'{stage}_dataloader'] = cfg[f'{stage}_evaluator'] = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 6)
    cfg.env_cfg.cudnn_benchmark = False
    cfg.work_dir = osp.join(tmp, 'work', name)
    cfg.visualizer.name = f'visualizer_{name}_{time.time_ns()}'
    cfg.experiment_name = f'{name}_{time.time_ns()}'
    return cfg


def bench_epoch(args: argparse.Namespace, configs: dict) -> dict:
    """One epoch of each run; ``configs``: ``live`` (the FD distiller) and ``student`` (its
    student's Uni config), as ``Config`` objects."""
    from mmengine.runner import Runner

    from fdkd_mm.datasets.throughput import write_realistic
    from fdkd_mm.teacher_cache import apply_teacher_cache
    from fdkd_mm.teacher_cache.build import build_teacher_cache
    with tempfile.TemporaryDirectory() as tmp:
        data_root = write_realistic('CremaDDataset', osp.join(tmp, 'data'), args.epoch_clips)
        live = epoch_cfg(configs['live'], 'live', args, tmp, data_root, None)
        save_random_teacher(live, osp.join(tmp, 'teacher.pth'))
        start = time.perf_counter()
        build_teacher_cache(live, osp.join(tmp, 'cache'), batch_size=args.epoch_batch,
                            num_workers=args.epoch_workers, device='cpu', progress=False)
        cache_s = time.perf_counter() - start
        results = {name: [] for name in ('student', 'live', 'cached')}
        for _ in range(args.epoch_rounds):
            for name in results:
                base = configs['student' if name == 'student' else 'live']
                cfg = epoch_cfg(base, name, args, tmp, data_root,
                                None if name == 'student' else live.model.teacher_ckpt)
                if name == 'cached':
                    cfg.model.teacher_cache = dict(path=osp.join(tmp, 'cache'))
                    apply_teacher_cache(cfg)
                runner = Runner.from_cfg(cfg)
                clock = EpochClock()
                runner.register_hook(clock, priority='VERY_LOW')
                runner.train()
                results[name].append(dict(epoch_s=clock.epoch_s, data_s=clock.data_s))
    epoch_s = {name: [r['epoch_s'] for r in runs] for name, runs in results.items()}
    medians = {name: statistics.median(values) for name, values in epoch_s.items()}
    minima = {name: min(values) for name, values in epoch_s.items()}
    of = pair_ratios(epoch_s, EPOCH_PAIRS)
    return dict(clips=args.epoch_clips, batch_size=args.epoch_batch,
                workers=args.epoch_workers, rounds=args.epoch_rounds, cache_build_s=cache_s,
                runs=results, median_epoch_s=medians, min_epoch_s=minima,
                ratios=of['of_medians'], ratios_min=of['of_minima'])


# -------------------------------------------------------------------------------- report
def markdown(report: dict) -> str:
    lines = [f"{report['device']}, {report['threads']} threads, torch {report['torch']}, "
             f"{report['repeats']} interleaved rounds after {report['warmup']} warm-up", '',
             '| config | batch | a student (ms) | b +teacher fwd (ms) | c live (ms) | '
             'f cached (ms) | f/a | f/c | c/a | f/a paired | f/c paired | undisturbed rounds: '
             'f/a, f/c |', '|---|---|---|---|---|---|---|---|---|---|---|---|']

    def number(value) -> str:
        return '-' if value is None else f'{value:.3f}'

    for row in report['steps']:
        t, r = row['times'], row['ratios']
        lines.append(
            f"| {osp.basename(row['config'])} | {row['batch_size']} | "
            + ' | '.join(f"{t[v]['median_s'] * 1e3:.0f}" for v in VARIANTS)
            + f" | {r['of_medians']['f/a']:.3f} | {r['of_medians']['f/c']:.3f} | "
              f"{r['of_medians']['c/a']:.3f} | {r['paired']['f/a']:.3f} | "
              f"{r['paired']['f/c']:.3f} | {r['clean_rounds']}: "
              f"{number(r['clean_paired']['f/a'])}, {number(r['clean_paired']['f/c'])} |")
    epoch = report.get('epoch')
    if epoch:
        lines += ['', f"one epoch, synthetic CREMA-D ({epoch['clips']} clips at real sizes, "
                      f"batch {epoch['batch_size']}, {epoch['workers']} workers, median of "
                      f"{epoch['rounds']}); cache built once in {epoch['cache_build_s']:.1f} s",
                  '', '| run | epoch, median (s) | fastest (s) | waiting for data (s) |',
                  '|---|---|---|---|']
        for name, runs in epoch['runs'].items():
            data = statistics.median(r['data_s'] for r in runs)
            lines.append(f"| {name} | {epoch['median_epoch_s'][name]:.1f} | "
                         f"{epoch['min_epoch_s'][name]:.1f} | {data:.1f} |")
        lines += [''] + [f"{name}: {value:.3f} (of the fastest: "
                         f"{epoch['ratios_min'][name]:.3f})"
                         for name, value in epoch['ratios'].items()]
    return '\n'.join(lines)


def main(argv: Optional[list] = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    from mmengine.registry import init_default_scope

    import fdkd_mm  # noqa: F401
    init_default_scope('fdkd_mm')
    from mmengine.config import Config
    report = dict(device=args.device, amp=args.amp, threads=torch.get_num_threads(),
                  torch=torch.__version__,
                  warmup=args.warmup, repeats=args.repeats,
                  steps=[bench_config(Config.fromfile(config), args)
                         for config in args.configs])
    if args.epoch:
        report['epoch'] = bench_epoch(args, {name: Config.fromfile(config)
                                             for name, config in EPOCH_CONFIGS.items()})
    print(markdown(report))
    if args.out:
        write_report(args.out, report)
    return report


if __name__ == '__main__':
    main()
