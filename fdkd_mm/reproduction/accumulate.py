"""The results of every finished run under a work root, whichever call of the runner made it.

``tools/reproduce.py`` writes each run to ``<root>/<config basename>/seed<k>/``; a run is
finished when it has ``train_done`` and ``test_metrics.json``. The results table is built from
all of them, so ``--seeds 1`` after ``--seeds 0``, or ``--methods dkd`` after
``--methods kd``, add rows and seeds instead of replacing the table. A run's ``run.json`` says
whether it read the paper's data; the paper's number is shown only when every seed of a row did
(and not at all with ``--no-paper``).
"""
import glob
import json
import os.path as osp
import re
from collections.abc import Sequence
from typing import Optional, Union

from fdkd_mm.reproduction import paper_tables
from fdkd_mm.reproduction.benchmark_tables import find_benchmark_cells
from fdkd_mm.reproduction.tables import SeedSummary
from fdkd_mm.reproduction.unpaired_tables import UNPAIRED_CELLS
from fdkd_mm.reproduction.zoo_tables import ZOO_CELLS

_SEED_DIR = re.compile(r'^seed(-?\d+)$')


def _cells_of(basename: str) -> list:
    """The paper cells, else the cells of our tables, a config (basename without ``.py``)
    fills."""
    cells = paper_tables.find_cell(basename + '.py')
    if cells:
        return cells
    name = basename + '.py'
    cells = [c for c in (*UNPAIRED_CELLS, *ZOO_CELLS) if osp.basename(c.config) == name]
    return cells or find_benchmark_cells(basename)


def finished_runs(root: str) -> dict[str, dict[int, str]]:
    """Config basename → seed → work dir, of every finished run under ``root``."""
    found: dict[str, dict[int, str]] = {}
    for work_dir in sorted(glob.glob(osp.join(root, '*', 'seed*'))):
        match = _SEED_DIR.match(osp.basename(work_dir))
        if not match or not (osp.isfile(osp.join(work_dir, 'train_done'))
                             and osp.isfile(osp.join(work_dir, 'test_metrics.json'))):
            continue
        found.setdefault(osp.basename(osp.dirname(work_dir)), {})[int(match.group(1))] = work_dir
    return found


def read_run_info(work_dir: str) -> dict:
    """The run's ``run.json`` (``{}`` for a run made before it existed)."""
    path = osp.join(work_dir, 'run.json')
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _identity(basename: str, cells: list, table: Union[None, int, str]) -> dict:
    preferred = [c for c in cells if table is None or c.table == table] or cells
    if preferred:
        cell = preferred[0]
        return dict(method=cell.method, dataset=cell.dataset, teacher=cell.teacher,
                    student=cell.student, table=cell.table, paper=cell.reported)
    # A run outside the tables (e.g. an unpaired part-A teacher): read its name.
    parsed = paper_tables_parse(basename)
    return dict(parsed, table=None, paper=None)


def paper_tables_parse(basename: str) -> dict:
    """Method, dataset and modalities from a config name of the scheme, as far as it goes."""
    parts = basename.split('_')
    dataset = parts[-1] if parts[-1] in paper_tables.DATASETS else None
    modalities = [p.rsplit('-', 1)[-1] for p in parts[1:-1]]
    teacher, student = (modalities + [None, None])[:2] if len(modalities) == 2 else (
        None, modalities[0] if modalities else None)
    return dict(method=parts[0], dataset=dataset, teacher=teacher, student=student)


def collect_root(root: str, table: Union[None, int, str] = None, paper: bool = True,
                 order: Sequence[str] = ()) -> list[SeedSummary]:
    """One row per config with finished runs under ``root``, every finished seed in it.

    Args:
        root: The work root.
        table: The table whose cell names a config's row when it fills several (FD-CMKD is
            in Tables 2, 4 and 7); ``None``: its first.
        paper: ``False`` leaves the paper's number out of every row.
        order: Config basenames to put first, in this order (the plan's); the others follow
            sorted by name.

    Returns:
        The rows; the paper's number only where every seed read the paper's data.
    """
    runs = finished_runs(root)
    names = [n for n in order if n in runs] + sorted(n for n in runs if n not in order)
    summaries = []
    for basename in names:
        seeds = runs[basename]
        ident = _identity(basename, _cells_of(basename), table)
        metric = paper_tables.metric(ident['dataset'])
        values, on_paper_data = [], True
        for seed in sorted(seeds):
            with open(osp.join(seeds[seed], 'test_metrics.json')) as f:
                values.append(float(json.load(f)[metric]))
            on_paper_data = on_paper_data and read_run_info(seeds[seed]).get('paper_data', True)
        summaries.append(SeedSummary(
            name=basename, method=ident['method'], dataset=ident['dataset'],
            teacher=ident['teacher'], student=ident['student'], seeds=sorted(seeds),
            values={metric: values}, config=basename + '.py', table=ident['table'],
            paper_metric=metric,
            paper=ident['paper'] if (paper and on_paper_data) else None))
    return summaries


def merge_statuses(collected: list[SeedSummary],
                   planned: Sequence[SeedSummary]) -> list[SeedSummary]:
    """Add the planned rows that did not finish (their ``status`` says why) to the collected
    ones: a row of finished seeds keeps them and takes the unfinished row's status.

    Args:
        collected: From :func:`collect_root`.
        planned: The plan's rows (:func:`fdkd_mm.reproduction.runner.cell_results`).

    Returns:
        The rows, planned ones first.
    """
    by_name = {s.name: s for s in collected}
    for row in planned:
        if row.status == 'ok':
            continue
        if row.name in by_name:
            by_name[row.name].status = row.status
        else:
            by_name[row.name] = row
            collected.append(row)
    return collected


def any_paper(summaries: Sequence[SeedSummary]) -> Optional[bool]:
    """Whether some row carries the paper's number (the table then has the paper column)."""
    return any(s.paper is not None for s in summaries)
