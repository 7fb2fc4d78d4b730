"""Tables and a chart of collected runs: Markdown, CSV and a PNG bar chart.

Numbers are as the metrics report them (mmseg's mIoU and mmpretrain's accuracy in %), like the
paper's tables, which :mod:`fdkd_mm.reproduction.paper_tables` holds; ``Δ`` is ours minus the paper's.
"""
import csv
from typing import Optional

from fdkd_mm.reproduction.results import RunResult, SeedGroup, primary_metric

RUN_FIELDS = ('run', 'config', 'method', 'dataset', 'teacher', 'student', 'seed', 'metric',
              'last', 'last_step', 'best', 'best_step', 'evaluations')
GROUP_FIELDS = ('experiment', 'config', 'method', 'dataset', 'teacher', 'student', 'seeds',
                'metric', 'mean', 'std', 'paper', 'delta')


def _metrics_of(items) -> list[str]:
    """Metrics of runs or groups, the primary ones (mIoU, accuracy) first."""
    keys = list(dict.fromkeys(m for item in items
                              for m in (item.metrics if isinstance(item, RunResult)
                                        else item.mean)))
    first = [m for m in keys if m == primary_metric([m])]
    return first + [m for m in keys if m not in first]


def _fmt(value: Optional[float], digits: int = 2) -> str:
    return '' if value is None else f'{value:.{digits}f}'


def _paper(group: SeedGroup, metric: str) -> Optional[float]:
    info = group.info
    return info.reported if metric == info.paper_metric else None


def _delta(ours: Optional[float], paper: Optional[float]) -> Optional[float]:
    """Ours minus the paper's number, ``None`` when either is missing."""
    return None if paper is None or ours is None else ours - paper


def runs_markdown(results: list[RunResult]) -> str:
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


def groups_markdown(groups: list[SeedGroup]) -> str:
    """One row per experiment: seeds, ``mean ± std`` of the last values, the paper's number."""
    metrics = _metrics_of(groups)
    lines = ['| experiment | method | dataset | teacher→student | seeds | '
             + ' | '.join(metrics) + ' | paper | Δ |',
             '|' + '---|' * (7 + len(metrics))]
    for group in groups:
        info = group.info
        cells = []
        for metric in metrics:
            mean, std = group.mean.get(metric), group.std.get(metric)
            cells.append('' if mean is None else
                         f'{mean:.2f}' + ('' if std is None else f' ± {std:.2f}'))
        paper = _paper(group, info.paper_metric)
        ours = group.mean.get(info.paper_metric)
        delta = _delta(ours, paper)
        seeds = ', '.join('?' if s is None else str(s) for s in group.seeds)
        lines.append(f'| {group.name} | {info.method} | '
                     f'{info.dataset or "?"} | {info.direction} | {seeds} | '
                     + ' | '.join(cells)
                     + f' | {_fmt(paper, 1)} | {"" if delta is None else f"{delta:+.2f}"} |')
    return '\n'.join(lines)


def markdown_report(results: list[RunResult], groups: list[SeedGroup]) -> str:
    """Both tables with headings, as ``collect_results.py`` writes them."""
    return ('## Seeds aggregated (mean ± std of the last validation; paper: the reported '
            'number of the matching table cell)\n\n' + groups_markdown(groups)
            + '\n\n## Runs (last validation; best and its step for reference only)\n\n'
            + runs_markdown(results) + '\n')


def write_runs_csv(path: str, results: list[RunResult]) -> None:
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


def write_groups_csv(path: str, groups: list[SeedGroup]) -> None:
    """One row per experiment and metric, with the paper's number where a cell matches."""
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, GROUP_FIELDS)
        writer.writeheader()
        for group in groups:
            info = group.info
            for metric, mean in group.mean.items():
                paper = _paper(group, metric)
                writer.writerow(dict(
                    experiment=group.name, config=info.config, method=info.method,
                    dataset=info.dataset, teacher=info.teacher, student=info.student,
                    seeds=' '.join('' if s is None else str(s) for s in group.seeds),
                    metric=metric, mean=mean, std=group.std.get(metric), paper=paper,
                    delta=_delta(mean, paper)))


def plot_groups(path: str, groups: list[SeedGroup]) -> None:
    """Bar chart of each experiment's primary metric (mean, std as error bar), one panel per
    dataset, the paper's number as a black tick on the bar where a cell matches."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    panels: dict = {}
    for group in groups:
        metric = primary_metric(list(group.mean))
        if metric is not None:
            panels.setdefault((group.info.dataset or '?', metric), []).append(group)
    if not panels:
        raise ValueError('no run has a primary metric (mIoU or accuracy/top1) to plot')
    figure, axes = plt.subplots(1, len(panels), squeeze=False,
                                figsize=(max(4.0, 1.2 * max(map(len, panels.values())))
                                         * len(panels), 4.5))
    for axis, ((dataset, metric), members) in zip(axes[0], panels.items()):
        x = list(range(len(members)))
        axis.bar(x, [g.mean[metric] for g in members],
                 yerr=[g.std[metric] or 0.0 for g in members], capsize=4, color='tab:blue',
                 label='ours (mean ± std over seeds)')
        papers = [(i, _paper(g, metric)) for i, g in enumerate(members)]
        papers = [(i, p) for i, p in papers if p is not None]
        if papers:
            axis.scatter([i for i, _ in papers], [p for _, p in papers], marker='_', s=600,
                         color='black', linewidths=2, label='paper', zorder=3)
        axis.set_xticks(x)
        # The experiment's path names the bar: two baselines may share a config name.
        axis.set_xticklabels([g.name.replace('/', '/\n') + f'\n({g.info.direction})'
                              for g in members], fontsize=7)
        axis.set_title(dataset)
        axis.set_ylabel(metric)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
