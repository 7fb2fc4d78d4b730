"""One tabulation of experiments over seeds beside the paper: Markdown, CSV and a PNG chart.

Both producers of results build :class:`SeedSummary` rows: the reproduction runner from the
runs it planned (:func:`fdkd_mm.reproduction.runner.cell_results`) and ``collect_results.py``
from the work dirs it finds (:func:`summarize_runs`); the writers here serve both. Numbers are as the metrics report them (mmseg's mIoU and mmpretrain's accuracy
in %), like the paper's tables (:mod:`fdkd_mm.reproduction.paper_tables`); ``Δ`` is ours minus
the paper's.
"""
import csv
import os.path as osp
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Optional, Union

from fdkd_mm.reproduction.results import RunResult, primary_metric

RUN_FIELDS = ('run', 'config', 'method', 'dataset', 'teacher', 'student', 'seed', 'metric',
              'last', 'last_step', 'best', 'best_step', 'evaluations')
SUMMARY_FIELDS = ('experiment', 'config', 'table', 'method', 'dataset', 'teacher', 'student',
                  'seeds', 'metric', 'values', 'mean', 'std', 'paper', 'delta', 'status')


@dataclass
class SeedSummary:
    """One experiment (a config run with several seeds) beside the paper's number.

    Attributes:
        name: Row name: the runs' common work-dir path, or the config's name.
        method: Method key (``'kd'``, ``'fdkd'``, ``'uni'``, ...).
        dataset: Dataset key, ``None`` if unknown.
        teacher: The teacher's modality (``None`` for a unimodal model).
        student: The student's (or unimodal model's) modality.
        seeds: The seed of every run, in order.
        values: Metric → the value of each run that reported it.
        config: Basename of the config.
        table: The paper table the row reproduces (``None`` outside one).
        paper_metric: The metric the paper reports for the dataset.
        paper: The paper's number, ``None`` where there is none.
        status: ``'ok'``, or why values are missing.
    """
    name: str
    method: str
    dataset: Optional[str]
    teacher: Optional[str]
    student: Optional[str]
    seeds: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    config: str = ''
    table: Optional[Union[int, str]] = None
    paper_metric: Optional[str] = None
    paper: Optional[float] = None
    status: str = 'ok'

    @property
    def direction(self) -> str:
        """``'depth→rgb'`` for a distiller, the modality for a unimodal model."""
        return f'{self.teacher}→{self.student}' if self.teacher else (self.student or '?')

    def _metric(self, metric: Optional[str]) -> Optional[str]:
        return self.paper_metric if metric is None else metric

    def mean(self, metric: Optional[str] = None) -> Optional[float]:
        """Mean over the seeds of ``metric`` (default: the paper's metric)."""
        values = self.values.get(self._metric(metric))
        return statistics.fmean(values) if values else None

    def std(self, metric: Optional[str] = None) -> Optional[float]:
        """Sample standard deviation over the seeds (``None`` below two values)."""
        values = self.values.get(self._metric(metric)) or []
        return statistics.stdev(values) if len(values) > 1 else None

    def paper_for(self, metric: str) -> Optional[float]:
        """The paper's number where ``metric`` is the one the paper reports."""
        return self.paper if metric == self.paper_metric else None

    def delta(self, metric: Optional[str] = None) -> Optional[float]:
        """Ours minus the paper's number, ``None`` when either is missing."""
        metric = self._metric(metric)
        mean, paper = self.mean(metric), self.paper_for(metric)
        return None if mean is None or paper is None else mean - paper


def summarize_runs(results: Sequence[RunResult]) -> list[SeedSummary]:
    """Group collected runs into experiments (the same config but for the seed) and summarise
    each over its seeds, the last validation value of every metric.

    Args:
        results: Collected runs (:func:`~fdkd_mm.reproduction.results.collect_run`).

    Returns:
        One summary per experiment, in the order the experiments first appear.
    """
    groups: dict = {}
    for result in results:
        groups.setdefault(result.info.experiment, []).append(result)
    summaries = []
    for runs in groups.values():
        info = runs[0].info
        paths = [run.info.path for run in runs]
        common = osp.commonpath(paths) if len(paths) > 1 else paths[0]
        values = {metric: [run.metrics[metric].last for run in runs if metric in run.metrics]
                  for metric in dict.fromkeys(m for run in runs for m in run.metrics)}
        summaries.append(SeedSummary(
            name=common or osp.splitext(info.config)[0], method=info.method,
            dataset=info.dataset, teacher=info.teacher, student=info.student,
            seeds=[run.info.seed for run in runs], values=values, config=info.config,
            table=next((cell.table for cell in info.cells), None),
            paper_metric=info.paper_metric, paper=info.reported))
    return summaries


def _fmt(value: Optional[float], digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return ''
    return f'{value:+.{digits}f}' if signed else f'{value:.{digits}f}'


def _mean_std(summary: SeedSummary, metric: Optional[str] = None) -> str:
    mean, std = summary.mean(metric), summary.std(metric)
    if mean is None:
        return ''
    return f'{mean:.2f}' + ('' if std is None else f' ± {std:.2f}')


def _metrics_of(items: Sequence[Union[RunResult, SeedSummary]]) -> list[str]:
    """Metrics of runs or summaries, the primary ones (mIoU, accuracy) first."""
    keys = list(dict.fromkeys(m for item in items
                              for m in (item.metrics if isinstance(item, RunResult)
                                        else item.values)))
    first = [m for m in keys if m == primary_metric([m])]
    return first + [m for m in keys if m not in first]


def summary_markdown(summaries: Sequence[SeedSummary], with_paper: bool = True) -> str:
    """One row per experiment: its seeds, ``mean ± std`` per metric, the paper's number, Δ.

    A ``status`` column is added when some row's runs did not all finish.

    Args:
        summaries: The rows.
        with_paper: Whether the ``paper`` and ``Δ`` columns are shown (not for runs on
            other data than the paper's).
    """
    metrics = _metrics_of(summaries)
    with_status = any(s.status != 'ok' for s in summaries)
    columns = ['experiment', 'method', 'dataset', 'teacher→student', 'seeds', *metrics,
               *(['paper', 'Δ'] if with_paper else [])] + (['status'] if with_status else [])
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    for s in summaries:
        seeds = ', '.join('?' if seed is None else str(seed) for seed in s.seeds)
        paper = [_fmt(s.paper, 1), _fmt(s.delta(), signed=True)] if with_paper else []
        row = [s.name, s.method, s.dataset or '?', s.direction, seeds,
               *(_mean_std(s, m) for m in metrics), *paper] + (
                   [s.status] if with_status else [])
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def seeds_markdown(summaries: Sequence[SeedSummary], names: Mapping[str, str],
                   header: str = 'method', metric: str = 'mIoU') -> str:
    """One row per experiment, named by its method: the paper's metric of every seed and
    mean ± std (the demos' table).

    Args:
        summaries: The experiments' summaries.
        names: A row name for each method key.
        header: The first column's title.
        metric: The metric's name, for the second column's title.

    Returns:
        A markdown table (a run's status where it has no value).
    """
    lines = [f'| {header} | {metric} per seed | mean ± std |', '|---|---|---|']
    for s in summaries:
        values = ', '.join(f'{v:.2f}' for v in s.values.get(s.paper_metric, [])) or s.status
        lines.append(f'| {names[s.method]} | {values} | {_mean_std(s) or "-"} |')
    return '\n'.join(lines)


def runs_markdown(results: Sequence[RunResult]) -> str:
    """One row per run: its identity, then ``last (best@step)`` per metric."""
    metrics = _metrics_of(results)
    lines = ['| run | method | dataset | teacher→student | seed | '
             + ' | '.join(f'{m} last (best@step)' for m in metrics) + ' |',
             '|' + '---|' * (5 + len(metrics))]
    for result in results:
        info = result.info
        cells = []
        for metric in metrics:
            s = result.metrics.get(metric)
            cells.append('' if s is None else
                         f'{s.last:.2f} ({s.best:.2f}@{s.best_step})')
        lines.append(f'| {info.path} | {info.method} | {info.dataset or "?"} | '
                     f'{info.direction} | {"" if info.seed is None else info.seed} | '
                     + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def markdown_report(results: Sequence[RunResult], summaries: Sequence[SeedSummary]) -> str:
    """Both tables with headings, as ``collect_results.py`` writes them."""
    return ('## Seeds aggregated (mean ± std of the last validation; paper: the reported '
            'number of the matching table cell)\n\n' + summary_markdown(summaries)
            + '\n\n## Runs (last validation; best and its step for reference only)\n\n'
            + runs_markdown(results) + '\n')


def write_runs_csv(path: str, results: Sequence[RunResult]) -> None:
    """Long format: one row per run and metric."""
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, RUN_FIELDS)
        writer.writeheader()
        for result in results:
            info = result.info
            for s in result.metrics.values():
                writer.writerow(dict(run=info.path, config=info.config, method=info.method,
                                     dataset=info.dataset, teacher=info.teacher,
                                     student=info.student, seed=info.seed, metric=s.metric,
                                     last=s.last, last_step=s.last_step, best=s.best,
                                     best_step=s.best_step, evaluations=s.evaluations))


def write_summary_csv(path: str, summaries: Sequence[SeedSummary]) -> None:
    """One row per experiment and metric (one with empty values for an experiment without
    any), with the paper's number where a cell matches."""
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, SUMMARY_FIELDS)
        writer.writeheader()
        for s in summaries:
            for metric in list(s.values) or [s.paper_metric]:
                writer.writerow(dict(
                    experiment=s.name, config=s.config, table=s.table, method=s.method,
                    dataset=s.dataset, teacher=s.teacher, student=s.student,
                    seeds=' '.join('' if seed is None else str(seed) for seed in s.seeds),
                    metric=metric,
                    values=' '.join(f'{v:.4f}' for v in s.values.get(metric, [])),
                    mean=s.mean(metric), std=s.std(metric), paper=s.paper_for(metric),
                    delta=s.delta(metric), status=s.status))


def plot_summaries(path: str, summaries: Sequence[SeedSummary]) -> str:
    """Bar chart of each experiment's primary metric (mean, std as error bar), one panel per
    dataset, the paper's number as a black tick on the bar where a cell matches.

    Returns:
        ``path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    panels: dict = {}
    for s in summaries:
        metric = primary_metric([m for m, values in s.values.items() if values])
        if metric is not None:
            panels.setdefault((s.dataset or '?', metric), []).append(s)
    if not panels:
        raise ValueError('no run has a primary metric (mIoU or accuracy/top1) to plot')
    figure, axes = plt.subplots(1, len(panels), squeeze=False,
                                figsize=(max(4.0, 1.2 * max(map(len, panels.values())))
                                         * len(panels), 4.5))
    for axis, ((dataset, metric), members) in zip(axes[0], panels.items()):
        x = list(range(len(members)))
        axis.bar(x, [s.mean(metric) for s in members],
                 yerr=[s.std(metric) or 0.0 for s in members], capsize=4, color='tab:blue',
                 label='ours (mean ± std over seeds)')
        papers = [(i, s.paper_for(metric)) for i, s in enumerate(members)]
        papers = [(i, p) for i, p in papers if p is not None]
        if papers:
            axis.scatter([i for i, _ in papers], [p for _, p in papers], marker='_', s=600,
                         color='black', linewidths=2, label='paper', zorder=3)
        axis.set_xticks(x)
        # The experiment's path names the bar: two baselines may share a config name.
        axis.set_xticklabels([s.name.replace('/', '/\n') + f'\n({s.direction})'
                              for s in members], fontsize=7)
        axis.set_title(dataset)
        axis.set_ylabel(metric)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
