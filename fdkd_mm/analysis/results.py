"""Validation metrics of finished runs, read from MMEngine work dirs.

MMEngine writes each run (and each resume) into ``<work_dir>/<timestamp>/``: the visualizer's
``vis_data/scalars.json`` (one JSON object per line; training lines carry ``loss``/``lr``,
validation lines the metrics and ``step`` = the epoch, or the iteration for iteration-based
loops) and the text log ``<timestamp>.log`` (``Epoch(val) [e][i/n]  mIoU: ...``). The
scalars are read when present, the log otherwise; timestamps are read in order, so a resumed
run continues its history.
"""
import glob
import json
import os.path as osp
import re
from dataclasses import dataclass
from typing import Optional

#: Tried in order when no metric is named: mmseg IoUMetric, then mmpretrain Accuracy.
DEFAULT_METRICS = ('mIoU', 'accuracy/top1', 'accuracy/top-1', 'accuracy')
_VAL_LINE = re.compile(r'(?:Epoch|Iter)\(val\)\s+\[(\d+)\](?:\[(\d+)/(\d+)\])?(.*)$')
_PAIR = re.compile(r'([\w/.\-]+):\s+(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)')
_NOT_METRICS = {'eta', 'time', 'data_time', 'step', 'lr', 'memory'}


def _scalars_records(path: str) -> list[dict]:
    records = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                record = json.loads(line)
                # Training lines carry the loss or the lr; everything else is an evaluation.
                if 'loss' not in record and 'lr' not in record:
                    records.append(record)
    return records


def _log_records(path: str) -> list[dict]:
    records = []
    with open(path) as f:
        for line in f:
            match = _VAL_LINE.search(line)
            if not match:
                continue
            step, batch, total, rest = match.groups()
            if batch is not None and batch != total:
                continue  # progress line inside the evaluation, not its result
            values = {k: float(v) for k, v in _PAIR.findall(rest) if k not in _NOT_METRICS}
            if values:
                records.append(dict(values, step=int(step)))
    return records


def read_val_records(work_dir: str) -> list[dict]:
    """Every validation result of the runs in ``work_dir``, oldest first.

    Args:
        work_dir: An MMEngine work dir (holding ``<timestamp>/`` run folders).

    Returns:
        Metric dicts, each with its ``step``.
    """
    records = []
    for run_dir in sorted(d for d in glob.glob(osp.join(work_dir, '*')) if osp.isdir(d)):
        scalars = osp.join(run_dir, 'vis_data', 'scalars.json')
        logs = sorted(glob.glob(osp.join(run_dir, '*.log')))
        if osp.isfile(scalars):
            records += _scalars_records(scalars)
        elif logs:
            records += _log_records(logs[-1])
    return records


@dataclass
class RunSummary:
    """Last and best value of one metric over a run's validations."""
    name: str
    metric: str
    last: float
    last_step: int
    best: float
    best_step: int
    evaluations: int


def summarize(name: str, records: list[dict], metric: Optional[str] = None,
              lower_is_better: bool = False) -> RunSummary:
    """Pick the last and the best validation value of ``metric``.

    Args:
        name: Run name for the table.
        records: Output of :func:`read_val_records`.
        metric: Metric key; ``None`` takes the first of :data:`DEFAULT_METRICS` present.
        lower_is_better: For error-like metrics.

    Returns:
        The summary.

    Raises:
        ValueError: If no record has the metric (the message lists the keys found).
    """
    if metric is None:
        present = {key for record in records for key in record}
        metric = next((m for m in DEFAULT_METRICS if m in present), None)
        if metric is None:
            raise ValueError(f'{name}: none of {DEFAULT_METRICS} among the validation keys '
                             f'{sorted(present - {"step"})}; pass --metric')
    values = [(r['step'], float(r[metric])) for r in records if metric in r]
    if not values:
        raise ValueError(f'{name}: no validation result with {metric!r}')
    pick = min if lower_is_better else max
    best_step, best = pick(values, key=lambda sv: sv[1])
    last_step, last = values[-1]
    return RunSummary(name, metric, last, last_step, best, best_step, len(values))


def markdown_table(summaries: list[RunSummary]) -> str:
    """One row per run: metric, last value, best value and where it was reached."""
    lines = ['| run | metric | last | best | best at step | evaluations |',
             '|---|---|---|---|---|---|']
    for s in summaries:
        lines.append(f'| {s.name} | {s.metric} | {s.last:.2f} | {s.best:.2f} | {s.best_step} '
                     f'| {s.evaluations} |')
    return '\n'.join(lines)
