"""The plan of ``tools/reproduce.py`` as the user reads it (``--dry-run``, ``--check``).

A header (table, cells, runs, seeds, work root), then per run: done or to run, whether its
data root and split files exist (:mod:`fdkd_mm.reproduction.data_status`, read from the
dataset's base config without building any run's config) and where its teacher's checkpoint
comes from (a finished run, or a run of this plan); then warnings: fewer than 3 seeds make
``mean ± std`` a single number or a two-point spread. Nothing here imports torch.
"""
import os.path as osp
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from fdkd_mm.reproduction.data_status import DataStatus, data_status
from fdkd_mm.reproduction.runner import Run

#: Fewer seeds than this get a warning.
MIN_SEEDS = 3


@dataclass
class PlanReport:
    """The plan's text and whether every run can start.

    Attributes:
        lines: What to print.
        missing_data: Runs to run whose data or teacher checkpoint is missing (their names).
    """
    lines: list[str]
    missing_data: list[str]

    @property
    def text(self) -> str:
        return '\n'.join(self.lines)

    @property
    def ok(self) -> bool:
        return not self.missing_data


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint MMEngine's ``last_checkpoint`` pointer names, if it exists (read
    without importing MMEngine's runner, which imports torch)."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        path = f.read().strip()
    return path if path and osp.isfile(path) else None


def _table_label(table) -> str:
    """``T2`` for a table of the paper, the name (``mm``, ``zoo`` ...) for one of ours."""
    return f'T{table}' if isinstance(table, int) else str(table)


def _teacher_state(run: Run, index: dict[int, int]) -> str:
    teacher = run.teacher
    if teacher is None:
        return ''
    if teacher.done():
        checkpoint = last_checkpoint(teacher.work_dir)
        if checkpoint is None:
            return f'; teacher {teacher.name}: done, but its checkpoint is MISSING'
        return f'; teacher {teacher.name}: {checkpoint}'
    if id(teacher) in index:
        return f'; teacher {teacher.name}: trained by run {index[id(teacher)]}'
    return f'; teacher {teacher.name}: MISSING (not planned, not finished)'


def plan_report(runs: Sequence[Run], table, seeds: Sequence[int], root: str,
                data_root: Optional[str] = None, teacher_seed: int = 0,
                teacher_cache: bool = False) -> PlanReport:
    """Describe a plan and check its data.

    Args:
        runs: From :func:`~fdkd_mm.reproduction.runner.plan_runs`.
        table: The ``--table`` value (``None``: every table of the paper).
        seeds: The student seeds.
        root: The work root.
        data_root: ``--data-root`` (``None``: every config's own).
        teacher_seed: The teachers' seed.
        teacher_cache: Whether teacher caches are built and used.

    Returns:
        The report.
    """
    statuses: dict[str, DataStatus] = {}
    cells = {(c.table, c.method, c.dataset, c.student) for r in runs for c in r.cells}
    done = sum(r.done() for r in runs)
    teachers = [r for r in runs if not r.cells]
    table_name = 'every table of the paper' if table is None else f'table {table}'
    lines = [f'plan: {table_name}, {len(cells)} cell(s), {len(runs)} run(s) '
             f'({done} done, {len(runs) - done} to run; {len(teachers)} teacher-only), '
             f'seeds {" ".join(map(str, seeds))} (teacher seed {teacher_seed})'
             + (', teacher cache on' if teacher_cache else ''),
             f'work root: {osp.abspath(root)}']
    index = {id(run): number for number, run in enumerate(runs, 1)}
    missing = []
    for number, run in enumerate(runs, 1):
        dataset = run.dataset
        if dataset not in statuses:
            statuses[dataset] = data_status(dataset, data_root)
        status = statuses[dataset]
        teacher = _teacher_state(run, index)
        if not run.done() and (not status.ok or 'MISSING' in teacher):
            missing.append(run.name)
        state = 'done' if run.done() else 'to run'
        what = ', '.join(f'{_table_label(c.table)} {c.method}/{c.dataset}/{c.student}'
                         for c in run.cells)
        lines.append(f'{number:3d}. {run.name} [{state}] {status.describe()}{teacher} -> '
                     f'{what or "teacher only"}')
    if len(seeds) < MIN_SEEDS:
        lines.append(f'WARNING: {len(seeds)} seed(s) per cell: "mean ± std" is '
                     + ('a single number' if len(seeds) == 1 else 'a spread of two numbers')
                     + f'; use --seeds with at least {MIN_SEEDS} (seeds add up across calls, '
                     'e.g. --seeds 1 2 later)')
    if missing:
        lines.append(f'ERROR: {len(missing)} run(s) to run lack their data or teacher: '
                     + '; '.join([s.describe() for s in statuses.values() if not s.ok]
                                 or ['see the teachers marked MISSING above'])
                     + '. Give --data-root, or prepare the data (docs/data_preparation.md).')
    return PlanReport(lines, missing)
