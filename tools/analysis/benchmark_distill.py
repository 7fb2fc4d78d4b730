"""Time a distillation step against the student-only and teacher-forward floors.

Builds the models of a distillation config once (no pretrained download, random teacher unless
``--teacher-ckpt`` is given, plain BN) and times, in one process and *interleaved* (one round
= a, b, c, d, e; repeated after a warm-up; medians reported) so that load from other processes
hits every variant alike:

* (a) student-only training step: preprocess, forward, loss, backward, optimizer step;
* (b) (a) plus the frozen teacher's forward (eval, no_grad, its own modality), no distillation
  loss: the floor any feature distiller pays;
* (c) the full distiller's ``train_step`` through an ``OptimWrapper``;
* (d) the same with every ablation switch off: plain feature MSE ("Feat");
* (e) decoupler + both band losses alone (forward + backward) on the recorded feature shapes:
  ours; ours with plain-autograd losses and centring (``fused=False, centre=True``, the
  implementation before the fused loss); and a straightforward formulation written here
  (complex ``fft`` with masks, masked-index sign-log; docs/performance.md).

Machines shared with other jobs make single timings noisy. Besides the medians, the report
gives ratios of the minima (the least disturbed runs) and *paired* ratios: the median over
rounds of (c_i / b_i), whose two timings ran back to back under nearly the same load.

With ``--amp bf16`` the training steps a-d run in mixed precision: on CUDA through MMEngine's
``AmpOptimWrapper(dtype='bfloat16')`` (what ``optim_wrapper.dtype=bfloat16`` with
``tools/train.py --amp`` gives), on CPU through :class:`AutocastOptimWrapper` (bf16 autocast
around the forward; MMEngine's wrapper refuses a CPU), and (b)'s teacher forward under the
same autocast, so (b) stays (c)'s floor. The loss-only variants (e) stay float32.

Peak memory of a-c: on CUDA ``torch.cuda.max_memory_allocated`` over one step; on CPU each
variant runs in a fresh subprocess and reports the growth of the peak resident set size
(``VmHWM``, reset through ``/proc/self/clear_refs``) over its first training step relative to
the RSS just before it (model built, no step run yet). That includes optimizer-state creation
and allocator behaviour; it is a process-level measure, not a tensor count.

Example:
    python tools/analysis/benchmark_distill.py \
        configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py \
        --batch-size 2 --crop 128 160 --repeats 30 --out work_dirs/bench.json
"""
import argparse
import copy
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager, nullcontext
from typing import Callable, Optional

import torch
from mmengine.optim import OptimWrapper

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

VARIANTS = ('a_student', 'b_student_teacher', 'c_fd', 'd_feat', 'e_loss_ours', 'e_loss_unfused',
            'e_loss_naive')
SWEEP_DIMS = (64, 128, 256, 512, 1024, 2048)
SWEEP_HW = ((30, 40), (60, 80), (120, 160))
#: ``--amp`` choices: the autocast dtype of each.
AMP_DTYPES = {'bf16': torch.bfloat16}


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Benchmark a distillation training step')
    parser.add_argument('config', nargs='?',
                        default='configs/fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--crop', type=int, nargs=2, default=(128, 160), metavar=('H', 'W'))
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES), default=None,
                        help='mixed precision for the training steps a-d (default float32)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed rounds first')
    parser.add_argument('--repeats', type=int, default=20, help='timed rounds (medians)')
    parser.add_argument('--teacher-ckpt', default=None, help='default: random teacher')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--sweep-repeats', type=int, default=5)
    parser.add_argument('--sweep-dims', type=int, nargs='*', default=list(SWEEP_DIMS))
    parser.add_argument('--sweep-hw', type=str, nargs='*',
                        default=[f'{h}x{w}' for h, w in SWEEP_HW],
                        help='HxW of the feature maps of the width sweep (D=recorded width)')
    parser.add_argument('--no-memory', action='store_true', help='skip the memory probes')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    # Internal: run one variant's memory probe and print its result as JSON.
    parser.add_argument('--memory-probe', choices=VARIANTS[:3], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- model building
def offline_model_cfg(node):
    """A model config that reads and downloads nothing (random weights): ``init_cfg`` dropped,
    ``pretrained`` and the teacher checkpoints (``ckpt``, ``teacher_ckpt``) set to None.

    Args:
        node: A model config (dict), or any value inside one.

    Returns:
        A copy with those keys changed at every depth.
    """
    if isinstance(node, dict):
        return {key: None if key in ('ckpt', 'teacher_ckpt', 'pretrained')
                else offline_model_cfg(value)
                for key, value in node.items() if key != 'init_cfg'}
    if isinstance(node, (list, tuple)):
        return type(node)(offline_model_cfg(value) for value in node)
    return node


def _plain_bn(node):
    """Replace SyncBN by BN everywhere: the benchmark runs in one process."""
    if isinstance(node, dict):
        if node.get('type') in ('SyncBN', 'MMSyncBN'):
            node['type'] = 'BN'
        for value in node.values():
            _plain_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _plain_bn(value)


def load_model_cfg(args: argparse.Namespace) -> dict:
    """The config's model with benchmark overrides: no download, plain BN, crop-sized pads."""
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = cfg.model.to_dict()
    model['teacher_ckpt'] = args.teacher_ckpt
    for role in ('student', 'teacher'):
        model[role]['pretrained'] = None
        preprocessor = model[role].get('data_preprocessor')
        if preprocessor is not None and 'size' in preprocessor:
            preprocessor['size'] = tuple(args.crop)
    _plain_bn(model)
    return model


def build_models(args: argparse.Namespace) -> dict:
    """Build the FD distiller, the Feat distiller and a separate student-only copy."""
    from mmengine.registry import init_default_scope

    from fdkd_mm.registry import MODELS
    init_default_scope('fdkd_mm')
    model_cfg = load_model_cfg(args)
    fd = MODELS.build(model_cfg)
    feat_cfg = copy.deepcopy(model_cfg)
    feat_cfg['distill_losses'][fd_loss_name(fd)]['ablation'] = dict(
        frequency=False, align=False, scale=False, log=False)
    feat = MODELS.build(feat_cfg)
    # No init_weights(): PyTorch's default initialisation times the same and logs nothing.
    # (a)/(b) train their own copy, so no variant's steps change another's weights.
    student = copy.deepcopy(fd.student)
    teacher = copy.deepcopy(fd.teacher).eval()
    device = torch.device(args.device)
    return dict(fd=fd.to(device), feat=feat.to(device), student=student.to(device),
                teacher=teacher.to(device), cfg=model_cfg)


def fd_loss_name(distiller) -> str:
    """Name of the distiller's FD-CMKD loss (the benchmark times FD-CMKD configs)."""
    from fdkd_mm.models.losses import FDCMKDLoss
    for name, loss in distiller.losses.items():
        if isinstance(loss, FDCMKDLoss):
            return name
    raise ValueError(f'the config has no FDCMKDLoss among its distill_losses '
                     f'{list(distiller.losses)}; benchmark an FD-CMKD config')


class AutocastOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose forward (``optim_context``) runs under ``torch.autocast``.

    MMEngine's ``AmpOptimWrapper`` refuses to be built without an accelerator; this is its CPU
    stand-in for bf16, which needs no loss scaling.

    Args:
        optimizer: The wrapped optimizer.
        device_type: ``torch.autocast``'s device type.
        dtype: The autocast dtype.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, device_type: str = 'cpu',
                 dtype: torch.dtype = torch.bfloat16) -> None:
        super().__init__(optimizer)
        self.device_type, self.dtype = device_type, dtype

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        with super().optim_context(model), torch.autocast(self.device_type, dtype=self.dtype):
            yield


def autocast_for(device: torch.device, amp: Optional[str]):
    """The autocast context of ``--amp`` on ``device`` (a no-op context for float32)."""
    if amp is None:
        return nullcontext()
    return torch.autocast(device.type, dtype=AMP_DTYPES[amp])


def optim_wrapper_for(model: torch.nn.Module, amp: Optional[str] = None) -> OptimWrapper:
    """SGD over the trainable parameters, in an optimizer wrapper of the precision asked.

    Args:
        model: The model (already on its device).
        amp: None for float32, or a key of :data:`AMP_DTYPES`: MMEngine's ``AmpOptimWrapper``
            on CUDA, :class:`AutocastOptimWrapper` elsewhere.

    Returns:
        The optimizer wrapper.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=1e-3, momentum=0.9, weight_decay=5e-4)
    if amp is None:
        return OptimWrapper(optimizer)
    device = params[0].device
    if device.type == 'cuda':
        from mmengine.optim import AmpOptimWrapper
        return AmpOptimWrapper(optimizer=optimizer, dtype=AMP_DTYPES[amp])
    return AutocastOptimWrapper(optimizer, device.type, AMP_DTYPES[amp])


def _channels(preprocessor_cfg: Optional[dict], default: int = 3) -> int:
    mean = (preprocessor_cfg or {}).get('mean')
    return len(mean) if mean is not None else default


def make_batch(model_cfg: dict, batch_size: int, crop: tuple, num_classes: int,
               seed: int = 0) -> dict:
    """A batch as the dataloader yields it: ``inputs`` per modality + ``SegDataSample``s."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(seed)
    height, width = crop
    inputs = {}
    for role in ('student', 'teacher'):
        key = model_cfg[f'{role}_input']
        channels = _channels(model_cfg[role].get('data_preprocessor'))
        if key in ('rgb', 'img', 'visual'):
            inputs[key] = [torch.randint(0, 256, (channels, height, width), generator=gen,
                                         dtype=torch.uint8) for _ in range(batch_size)]
        else:  # depth-like: float maps (metres)
            inputs[key] = [torch.rand(channels, height, width, generator=gen) * 10
                           for _ in range(batch_size)]
    samples = []
    for _ in range(batch_size):
        label = torch.randint(0, num_classes, (1, height, width), generator=gen)
        label[:, :2] = 255  # some ignored pixels, as NYU's void border
        sample = SegDataSample(metainfo=dict(img_shape=crop, ori_shape=crop, pad_shape=crop))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


# ------------------------------------------------------------------------------- the variants
def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def make_steps(models: dict, batch: dict, device: torch.device,
               amp: Optional[str] = None) -> dict[str, Callable]:
    """One callable per training-step variant (a-d); each runs one full step.

    Args:
        models: As :func:`build_models` returns them.
        batch: As :func:`make_batch` returns it.
        device: The models' device.
        amp: None (float32) or a key of :data:`AMP_DTYPES` (see :func:`optim_wrapper_for`).

    Returns:
        Variant name → a callable running one training step (own optimizer state per call
        of this function).
    """
    fd, feat, student, teacher = models['fd'], models['feat'], models['student'], models['teacher']
    cfg = models['cfg']
    student_key, teacher_key = cfg['student_input'], cfg['teacher_input']
    wrappers = dict(a=optim_wrapper_for(student, amp), c=optim_wrapper_for(fd, amp),
                    d=optim_wrapper_for(feat, amp))
    fd.train()
    feat.train()
    student.train()
    teacher.eval()

    def fresh(keys) -> tuple[dict, list]:
        # Preprocessors pad / move data samples in place: every step gets its own copy.
        return ({k: batch['inputs'][k] for k in keys}, copy.deepcopy(batch['data_samples']))

    def step_a() -> None:
        inputs, samples = fresh([student_key])
        student.train_step(dict(inputs=inputs[student_key], data_samples=samples),
                           wrappers['a'])

    def step_b() -> None:
        inputs, samples = fresh([student_key, teacher_key])
        teacher_data = teacher.data_preprocessor(
            dict(inputs=inputs[teacher_key], data_samples=None), False)
        # The step's autocast and the distiller's teacher precision (teacher_autocast), as in
        # c's forward, so b stays c's floor.
        with torch.no_grad(), autocast_for(device, amp), fd.teachers['teacher'].precision():
            teacher(teacher_data['inputs'], None, mode='tensor')
        # The student's own train_step: preprocess, loss, backward, optimizer step.
        student.train_step(dict(inputs=inputs[student_key], data_samples=samples),
                           wrappers['a'])

    def distiller_step(model, wrapper) -> Callable:
        def step() -> None:
            inputs, samples = fresh([student_key, teacher_key])
            model.train_step(dict(inputs=inputs, data_samples=samples), wrapper)
        return step

    return dict(a_student=step_a, b_student_teacher=step_b,
                c_fd=distiller_step(fd, wrappers['c']), d_feat=distiller_step(feat, wrappers['d']))


def recorded_shapes(models: dict, batch: dict) -> tuple[torch.Size, torch.Size]:
    """Shapes of the student and teacher features the FD-CMKD loss aligns (after pooling and
    connectors)."""
    fd = models['fd']
    data = fd.data_preprocessor(dict(inputs=dict(batch['inputs']),
                                     data_samples=copy.deepcopy(batch['data_samples'])), True)
    with torch.no_grad():
        _, arguments = fd.loss_inputs(data['inputs'], data['data_samples'])
    fd_arguments = arguments[fd_loss_name(fd)]
    return fd_arguments['student_feat'].shape, fd_arguments['teacher_feat'].shape


# ------------------------------------------------------------------------ loss-only variants
def naive_fd_losses(student: torch.Tensor, teacher: torch.Tensor, cutoff: float = 0.5,
                    eps: float = 1e-8) -> torch.Tensor:
    """A straightforward reading of the paper, as a baseline: complex FFT over all D bins.

    Full-spectrum masks (a bin and its mirror), ``ifft(...).real`` per band, Std, sign-log by
    boolean-mask indexing, MSE. Same value as the library's losses (checked in the report).
    """
    dim = student.shape[1]
    num_low = int(cutoff * (dim // 2) + 1e-9)
    freqs = torch.fft.fftfreq(dim, d=1.0 / dim, device=student.device).abs()
    mask_low = ((freqs >= 1) & (freqs <= num_low)).to(torch.complex64)
    mask_high = (freqs > num_low).to(torch.complex64)
    view = (1, dim) + (1,) * (student.dim() - 2)

    def bands(x):
        spectrum = torch.fft.fft(x, dim=1)
        return (torch.fft.ifft(spectrum * mask_low.view(view), dim=1).real,
                torch.fft.ifft(spectrum * mask_high.view(view), dim=1).real)

    def std(x):
        x = x - x.mean(dim=1, keepdim=True)
        return x / x.norm(dim=1, keepdim=True).clamp_min(eps)

    def sign_log(x):
        out = torch.zeros_like(x)
        positive = x > 0
        out[positive] = torch.log1p(x[positive])
        out[~positive] = -torch.log1p(-x[~positive])
        return out

    s_low, s_high = bands(student)
    t_low, t_high = bands(teacher.detach())
    low = ((std(s_low) - std(t_low)) ** 2).mean()
    high = ((sign_log(std(s_high)) - sign_log(std(t_high))) ** 2).mean()
    return low + high


def make_loss_fns(distiller) -> dict[str, Callable]:
    """``fn(student, teacher) -> loss``: ours (the FD-CMKD loss's modules), ours unfused, naive."""
    fd = distiller.losses[fd_loss_name(distiller)]
    if fd.decoupler is None or fd.bands != ('low', 'high'):
        raise ValueError('the loss-only variants time the two-band method; benchmark a config '
                         f'with frequency=True and low/high bands, got bands {fd.bands}')
    cutoff = fd.decoupler.cutoff
    unfused = {band: copy.deepcopy(loss) for band, loss in fd.band_losses.items()}
    for loss in unfused.values():  # the pre-fusion path: autograd composition, centring
        loss.fused, loss.centre = False, True

    def with_losses(losses):
        def fn(student, teacher):
            s_low, s_high = fd.decoupler(student)
            t_low, t_high = fd.decoupler(teacher)
            return losses['low'](s_low, t_low) + losses['high'](s_high, t_high)
        return fn

    return dict(ours=with_losses(fd.band_losses), unfused=with_losses(unfused),
                naive=lambda s, t: naive_fd_losses(s, t, cutoff))


def loss_step(fn: Callable, shape, device, seed: int = 0) -> tuple[Callable, Callable]:
    """A forward+backward of ``fn`` on fixed random features; returns (step, value)."""
    gen = torch.Generator().manual_seed(seed)
    student = torch.randn(shape, generator=gen).to(device).requires_grad_(True)
    teacher = torch.randn(shape, generator=gen).to(device)

    def step() -> None:
        student.grad = None
        fn(student, teacher).backward()

    def value() -> float:
        with torch.no_grad():
            return float(fn(student, teacher))

    return step, value


# -------------------------------------------------------------------------------- timing
def time_interleaved(steps: dict[str, Callable], warmup: int, repeats: int,
                     device: torch.device, progress: bool = True) -> dict[str, list[float]]:
    """Round-robin over the steps: every round times each once, so load drifts hit all.

    With ``progress``, one line per round goes to stderr (rounds take seconds on CPU).
    """
    for round_index in range(warmup):
        for step in steps.values():
            step()
        if progress:
            print(f'warm-up round {round_index + 1}/{warmup}', file=sys.stderr, flush=True)
    _sync(device)
    times = {name: [] for name in steps}
    for round_index in range(repeats):
        for name, step in steps.items():
            _sync(device)
            start = time.perf_counter()
            step()
            _sync(device)
            times[name].append(time.perf_counter() - start)
        if progress:
            print(f'timed round {round_index + 1}/{repeats}: '
                  + ', '.join(f'{name} {times[name][-1] * 1e3:.1f} ms' for name in steps),
                  file=sys.stderr, flush=True)
    return times


def summarize(samples: list[float]) -> dict:
    return dict(median_s=statistics.median(samples), min_s=min(samples), max_s=max(samples),
                n=len(samples))


def pair_ratios(times: dict[str, list[float]], pairs: dict[str, tuple[str, str]]) -> dict:
    """Ratios of timed steps, each pair ``name: (numerator, denominator)`` three ways.

    Args:
        times: Step name → its timings, one per round (as :func:`time_interleaved` returns).
        pairs: Ratio name → the names of its numerator and denominator steps.

    Returns:
        ``of_medians`` (ratio of the medians), ``of_minima`` (ratio of the fastest rounds) and
        ``paired`` (median over the rounds of each round's ratio), each ratio name → value.
    """
    medians = {name: statistics.median(values) for name, values in times.items()}
    return dict(
        of_medians={name: medians[num] / medians[den] for name, (num, den) in pairs.items()},
        of_minima={name: min(times[num]) / min(times[den])
                   for name, (num, den) in pairs.items()},
        paired={name: statistics.median(n / d for n, d in zip(times[num], times[den]))
                for name, (num, den) in pairs.items()})


def sweep(fns: dict[str, Callable], batch_size: int, dims, hws, repeats: int,
          device: torch.device) -> list[dict]:
    """Loss cost (fwd+bwd) over the feature width D at 30x40 and over HxW at the real D."""
    rows = []
    for dim, (height, width) in dims + hws:
        shape = (batch_size, dim, height, width)
        steps = {name: loss_step(fn, shape, device)[0] for name, fn in fns.items()}
        times = time_interleaved(steps, warmup=1, repeats=repeats, device=device)
        rows.append(dict(D=dim, H=height, W=width,
                         **{f'{name}_s': statistics.median(values)
                            for name, values in times.items()}))
    return rows


# -------------------------------------------------------------------------------- memory
def _read_status(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def memory_probe(args: argparse.Namespace) -> dict:
    """Peak memory of one step of ``args.memory_probe`` (run in a fresh process on CPU)."""
    device = torch.device(args.device)
    models = build_models(args)
    batch = make_batch(models['cfg'], args.batch_size, tuple(args.crop),
                       models['fd'].losses[fd_loss_name(models['fd'])].num_classes)
    step = make_steps(models, batch, device, args.amp)[args.memory_probe]
    if device.type == 'cuda':
        step()  # allocator warm; then the peak of a steady-state step
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        step()
        torch.cuda.synchronize(device)
        return dict(method='cuda_max_allocated', peak_bytes=torch.cuda.max_memory_allocated(
            device), delta_bytes=torch.cuda.max_memory_allocated(device) - before)
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # resets VmHWM (peak RSS) to the current RSS
        method = 'VmHWM after clear_refs, first step in a fresh process'
    except OSError:
        method = 'ru_maxrss growth (includes build peak), first step in a fresh process'
    before = _read_status('VmRSS')
    step()
    peak = _read_status('VmHWM')
    return dict(method=method, peak_bytes=peak, delta_bytes=peak - before)


def run_memory_probes(args: argparse.Namespace, argv: list) -> dict:
    if args.device.startswith('cuda'):
        # One process is fine on CUDA: the peak counter is reset per variant.
        return {name: memory_probe(argparse.Namespace(**{**vars(args), 'memory_probe': name}))
                for name in VARIANTS[:3]}
    results = {}
    for name in VARIANTS[:3]:
        out = subprocess.run([sys.executable, osp.abspath(__file__), *argv,
                              '--memory-probe', name], capture_output=True, text=True,
                             check=True, cwd=os.getcwd())
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    return results


# -------------------------------------------------------------------------------- report
def markdown(report: dict) -> str:
    t = report['times']
    lines = [f"config `{report['config']}`, batch {report['batch_size']}, crop "
             f"{report['crop'][0]}x{report['crop'][1]}, {report['device']}, "
             f"{report.get('amp') or 'fp32'} steps, "
             f"{report['threads']} threads, {report['repeats']} interleaved repeats (median)",
             f"recorded features: student {report['feature_shape']}, "
             f"teacher {report['teacher_feature_shape']}", '',
             '| variant | median (ms) | min (ms) | max (ms) | peak mem (MiB) |',
             '|---|---|---|---|---|']
    for name in VARIANTS:
        mem = report['memory'].get(name)
        mem_text = f"{mem['delta_bytes'] / 2 ** 20:.0f}" if mem else '-'
        lines.append(f"| {name} | {t[name]['median_s'] * 1e3:.1f} | {t[name]['min_s'] * 1e3:.1f}"
                     f" | {t[name]['max_s'] * 1e3:.1f} | {mem_text} |")
    lines += ['', '| ratio | of medians | of minima | paired (median of per-round) |',
              '|---|---|---|---|']
    lines += [f"| {name} | {value:.3f} | {report['ratios_min'][name]:.3f} | "
              f"{report['ratios_paired'][name]:.3f} |" for name, value in report['ratios'].items()]
    check = report['loss_check']
    lines += ['', f"loss value ours {check['ours']:.6g}, unfused {check['unfused']:.6g}, "
                  f"naive {check['naive']:.6g}", '']
    if report['sweep']:
        lines += ['loss fwd+bwd (median):', '',
                  '| D | HxW | ours (ms) | unfused (ms) | naive (ms) | naive/ours |',
                  '|---|---|---|---|---|---|']
        for row in report['sweep']:
            lines.append(f"| {row['D']} | {row['H']}x{row['W']} | {row['ours_s'] * 1e3:.1f} | "
                         f"{row['unfused_s'] * 1e3:.1f} | {row['naive_s'] * 1e3:.1f} | "
                         f"{row['naive_s'] / row['ours_s']:.2f} |")
    if report['memory']:
        method = next(iter(report['memory'].values()))['method']
        lines += ['', f'peak memory: {method} (delta over the RSS / allocation before it)']
    return '\n'.join(lines)


def write_report(path: str, report: dict) -> None:
    """Write ``report`` as indented JSON to ``path``, creating its folder.

    Args:
        path: The JSON file to write.
        report: The report (JSON-serialisable).
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(report, f, indent=2)


def main(argv: Optional[list] = None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_probe:
        print(json.dumps(memory_probe(args)))
        return {}
    device = torch.device(args.device)
    models = build_models(args)
    num_classes = models['fd'].losses[fd_loss_name(models['fd'])].num_classes
    batch = make_batch(models['cfg'], args.batch_size, tuple(args.crop), num_classes)
    student_shape, teacher_shape = recorded_shapes(models, batch)
    loss_fns = make_loss_fns(models['fd'])
    steps = make_steps(models, batch, device, args.amp)
    loss_steps = {f'e_loss_{n}': loss_step(fn, student_shape, device) for n, fn in
                  loss_fns.items()}
    steps.update({name: step for name, (step, _) in loss_steps.items()})
    times = time_interleaved(steps, args.warmup, args.repeats, device)
    ratios = pair_ratios(times, {'c/b': ('c_fd', 'b_student_teacher'),
                                 'c/a': ('c_fd', 'a_student'),
                                 'd/b': ('d_feat', 'b_student_teacher'),
                                 'e_ours/e_naive': ('e_loss_ours', 'e_loss_naive'),
                                 'e_ours/e_unfused': ('e_loss_ours', 'e_loss_unfused')})
    dims = [(d, (30, 40)) for d in args.sweep_dims]
    hws = [(student_shape[1], tuple(int(v) for v in hw.split('x'))) for hw in args.sweep_hw]
    sweep_rows = sweep(loss_fns, args.batch_size, dims, hws, args.sweep_repeats, device)
    memory = {} if args.no_memory else run_memory_probes(args, argv)
    report = dict(
        config=args.config, batch_size=args.batch_size, crop=list(args.crop),
        device=str(device), amp=args.amp, threads=torch.get_num_threads(), warmup=args.warmup,
        repeats=args.repeats, torch=torch.__version__,
        feature_shape=list(student_shape), teacher_feature_shape=list(teacher_shape),
        times={name: summarize(values) for name, values in times.items()},
        samples_s=times, ratios=ratios['of_medians'], ratios_min=ratios['of_minima'],
        ratios_paired=ratios['paired'],
        memory=memory, sweep=sweep_rows,
        loss_check={name: value() for name, (_, value) in loss_steps.items()
                    for name in [name.removeprefix('e_loss_')]})
    print(markdown(report))
    if args.out:
        write_report(args.out, report)
    return report


if __name__ == '__main__':
    main()
