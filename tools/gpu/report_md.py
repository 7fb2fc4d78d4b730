"""The Markdown of a GPU-checks report (``report.json`` → ``report.md``), standard library only.

Every part reads defensively: a section that failed or ran out of time may have left any
subset of its numbers, and the report still renders the rest.
"""
from typing import Any, Optional

STEP_LETTERS = dict(a='a student', b='b + teacher fwd', c='c FD-CMKD live', d='d Feat',
                    f='f FD-CMKD cached')


def num(value: Any, spec: str = '.3f') -> str:
    """``value`` formatted, or ``-`` when it is missing."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(value, spec)
    return '-' if value is None else str(value)


def ms(summary: Optional[dict]) -> str:
    return num(summary['median_s'] * 1e3, '.1f') if summary else '-'


def bounds(report: dict) -> dict:
    """Loader against step: for each pair timed in both ``step`` and ``data``, samples/s of
    the loader on all cores and of the FD-CMKD steps, and which one bounds training.

    Returns:
        Pair name → ``loader``, ``steps`` (variant → samples/s) and ``bound_by`` (variant →
        ``'loader'`` or ``'device'``).
    """
    sections = report.get('sections', {})
    pairs = ((sections.get('step') or {}).get('result') or {}).get('pairs') or {}
    datasets = ((sections.get('data') or {}).get('result') or {}).get('datasets') or {}
    out = {}
    for name, pair in pairs.items():
        loader = ((datasets.get(name) or {}).get('all_cores') or {}).get('samples_per_s')
        rates = {k: v for k, v in (pair.get('samples_per_s') or {}).items()
                 if k[0] in 'cf'}
        if loader and rates:
            out[name] = dict(loader=loader, steps=rates,
                             bound_by={k: 'loader' if loader < v else 'device'
                                       for k, v in rates.items()})
    return out


def _header(report: dict) -> list[str]:
    mode = report.get('mode', {})
    lines = ['# GPU checks', '',
             f"device {mode.get('device')}, quick {mode.get('quick')}, budget "
             f"{num(mode.get('budget_s'), '.0f')} s, started {mode.get('started')} on "
             f"{mode.get('host')}, Python {mode.get('python')}; total "
             f"{num(report.get('wall_s'), '.0f')} s", '']
    install = report.get('install') or {}
    if install:
        lines += ['install: ' + ', '.join(f'{k} {v}' for k, v in install.items()), '']
    lines += ['| section | status | wall (s) | limit (s) |', '|---|---|---|---|']
    for name, record in report.get('sections', {}).items():
        lines.append(f"| {name}: {record.get('title', '')} | {record.get('status')} | "
                     f"{num(record.get('wall_s'), '.0f')} | "
                     f"{num(record.get('timeout_s'), '.0f')} |")
    return lines + ['']


def _env(result: dict) -> list[str]:
    lines = [f"versions: {result.get('versions')}",
             f"CPUs: {result.get('cpu_count')} ({result.get('affinity_cpus')} usable); "
             f"torch CUDA {result.get('torch_cuda')}, available {result.get('cuda_available')}"]
    if result.get('gpu'):
        lines.append(f"GPU: {result['gpu']}; nvidia-smi: {result.get('nvidia_smi')}")
    lines.append(f"import fdkd_mm + mmcv.ops: {num(result.get('import_fdkd_mm_s'), '.1f')} s")
    return lines


def _amp_loss(result: dict) -> list[str]:
    lines = [f"tolerances (relative, per term): {result.get('tolerances')}; gradient cosine "
             f">= {result.get('min_grad_cosine')}; passed: **{result.get('passed')}**", '',
             '| config | case | worst distill.* | worst heads | grad cosine | finite | '
             'passed |', '|---|---|---|---|---|---|---|']
    for name, cfg in (result.get('configs') or {}).items():
        if 'error' in cfg:
            lines.append(f"| {name} | error: {cfg['error']} | | | | | |")
        for case, check in cfg.items():
            if isinstance(check, dict) and 'worst' in check:
                lines.append(f"| {name} {cfg.get('shape')} | {case} | "
                             f"{num(check['worst'].get('distill'), '.2e')} | "
                             f"{num(check['worst'].get('heads'), '.2e')} | "
                             f"{num(check.get('grad_cosine'), '.5f')} | {check.get('finite')} | "
                             f"{check.get('passed')} |")
    return lines


def _step(result: dict) -> list[str]:
    lines = [f"device {result.get('device')}, precisions {result.get('precisions')}; medians "
             'of interleaved rounds, ratios paired (median over rounds of x_i / y_i)', '']
    for name, pair in (result.get('pairs') or {}).items():
        crop = pair.get('crop')
        size = f"batch {pair.get('batch')}" + (f', crop {crop[0]}x{crop[1]}' if crop else '')
        lines += [f"### {name}: `{pair.get('config')}`, {size}", '',
                  f"status {pair.get('status')}, {pair.get('rounds', 0)} rounds, build "
                  f"{num(pair.get('build_s'), '.1f')} s"
                  + (f", cache build {num(pair.get('cache_build_s'), '.1f')} s"
                     if 'cache_build_s' in pair else '')
                  + (f", peak memory {pair['peak_memory_gib']} GiB"
                     if 'peak_memory_gib' in pair else '')]
        for key in ('error', 'note', 'f'):
            if pair.get(key):
                lines.append(f'{key}: {pair[key]}')
        times = pair.get('times') or {}
        if times:
            speedup = (pair.get('amp_speedup') or {}).get('paired') or {}
            lines += ['', '| variant | fp32 (ms) | bf16 (ms) | fp32/bf16 paired |',
                      '|---|---|---|---|']
            for letter, label in STEP_LETTERS.items():
                if f'{letter}_fp32' in times or f'{letter}_bf16' in times:
                    lines.append(f"| {label} | {ms(times.get(f'{letter}_fp32'))} | "
                                 f"{ms(times.get(f'{letter}_bf16'))} | "
                                 f"{num(speedup.get(letter))} |")
            ratios = pair.get('ratios') or {}
            names = sorted({r for p in ratios.values() for r in (p.get('paired') or {})})
            lines += ['', '| ratio | fp32 paired | fp32 of medians | bf16 paired | '
                      'bf16 of medians |', '|---|---|---|---|---|']
            for ratio in names:
                cells = [num(((ratios.get(p) or {}).get(kind) or {}).get(ratio))
                         for p in ('fp32', 'bf16') for kind in ('paired', 'of_medians')]
                lines.append(f"| {ratio} | " + ' | '.join(cells) + ' |')
        lines.append('')
    return lines


def _ddp(result: dict) -> list[str]:
    losses = result.get('losses') or []
    return [f"exit code {result.get('returncode')} (timed out: {result.get('timed_out')}), "
            f"backend {result.get('backend')}, {result.get('processes')} process, batch "
            f"{result.get('batch')}, crop {result.get('crop')}, expected iterations "
            f"{result.get('expected_iters')}, logged at {result.get('logged_iters')}; loss "
            f"{num(losses[0] if losses else None, '.4f')} → "
            f"{num(losses[-1] if losses else None, '.4f')}; val mIoU {num(result.get('val'))};"
            f" {num(result.get('wall_s'), '.0f')} s"]


def _curve(result: dict) -> list[str]:
    runs = result.get('runs') or {}
    lines = [f"{result.get('iterations')} iterations, batch {result.get('batch')}, crop "
             f"{result.get('crop')}; tolerance {result.get('first_tolerance')} at the first, "
             f"{result.get('curve_tolerance')} over all; first diff "
             f"{num(result.get('first_diff'), '.2e')}, max diff "
             f"{num(result.get('max_diff'), '.2e')}; passed: **{result.get('passed')}**", '',
             '| run | exit code | wall (s) | losses |', '|---|---|---|---|']
    for name, run in runs.items():
        losses = ', '.join(num(v, '.5f') for v in run.get('losses') or [])
        lines.append(f"| {name} | {run.get('returncode')} | {num(run.get('wall_s'), '.0f')} | "
                     f'{losses} |')
    return lines


def _data(result: dict, report: dict) -> list[str]:
    lines = [f"{result.get('cores')} cores; samples/s of the training loader", '',
             '| dataset | batch | all cores: workers | samples/s | one process: samples/s |',
             '|---|---|---|---|---|']
    for name, data in (result.get('datasets') or {}).items():
        if 'error' in data:
            lines.append(f"| {name} | error: {data['error']} | | | |")
            continue
        full, one = data.get('all_cores') or {}, data.get('main_process') or {}
        lines.append(f"| {name} | {data.get('batch')} | {full.get('workers')} | "
                     f"{num(full.get('samples_per_s'), '.1f')} | "
                     f"{num(one.get('samples_per_s'), '.1f')} |")
    found = bounds(report)
    if found:
        lines += ['', '| pair | loader (samples/s) | step (samples/s) | bound by |',
                  '|---|---|---|---|']
        for name, bound in found.items():
            for variant, rate in bound['steps'].items():
                lines.append(f"| {name} {variant} | {num(bound['loader'], '.1f')} | "
                             f"{num(rate, '.1f')} | {bound['bound_by'][variant]} |")
    return lines


RENDERERS = dict(env=_env, amp_loss=_amp_loss, step=_step, ddp=_ddp, curve=_curve)


def render(report: dict) -> str:
    """The report as Markdown: a status table, then each section's numbers or its error."""
    lines = _header(report)
    for name, record in report.get('sections', {}).items():
        lines += [f"## {name}: {record.get('title', '')} ({record.get('status')})", '']
        result = record.get('result') or {}
        try:
            if name == 'data':
                lines += _data(result, report)
            elif name in RENDERERS and result:
                lines += RENDERERS[name](result)
        except Exception as error:  # noqa: BLE001 (a report must render whatever is there)
            lines.append(f'(could not render: {type(error).__name__}: {error})')
        if record.get('error'):
            lines += ['', 'error:', '```', record['error'].strip()[-1500:], '```']
        lines.append('')
    return '\n'.join(lines)
