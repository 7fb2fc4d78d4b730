"""Reproduce a table of the paper: plan the runs, train and test them (resumably), tabulate.

A table's cells (:mod:`fdkd_mm.reproduction.paper_tables`; our unpaired comparison,
:mod:`fdkd_mm.reproduction.unpaired_tables`, as ``table='unpaired'``) need, per seed, one run of each cell's
config; every distiller also needs its teacher (the cell's ``teacher_config``), trained first
(once, with the teacher seed, 0 unless chosen) and handed over under the cell's
``teacher_ckpt_option`` (``model.teacher_ckpt``, or ``teacher_bank.teacher_ckpt`` for a teacher bank). Each run trains
with ``tools/train.py`` and is then tested with ``tools/test.py`` on the checkpoint of its last
epoch, so the number reported is the last-epoch test metric (no selection on the test split).

A run lives in ``<root>/<config basename>/seed<k>/``. Training writes ``train_done`` when it
finishes (a killed run resumes from its last checkpoint, ``--resume auto``), testing writes
``test_metrics.json``: a run with both is done and skipped. A failed run is reported and the
others go on; a distiller whose teacher failed is skipped with that reason.
"""
import json
import os
import os.path as osp
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Optional

from fdkd_mm.checkpoint.atomic import write_text_atomic
from fdkd_mm.reproduction.benchmark_tables import BENCHMARK_CELLS, TABLES, benchmark_cells
from fdkd_mm.reproduction.paper_tables import CELLS, PaperCell, cells, metric
from fdkd_mm.reproduction.progress import run_logged
from fdkd_mm.reproduction.unpaired_tables import TABLE as UNPAIRED_TABLE
from fdkd_mm.reproduction.tables import (SeedSummary, plot_summaries, summary_markdown,
                                          write_summary_csv)
from fdkd_mm.reproduction.unpaired_tables import UNPAIRED_CELLS, unpaired_cells
from fdkd_mm.reproduction.zoo_tables import TABLE as ZOO_TABLE
from fdkd_mm.reproduction.zoo_tables import MGDFR_HANDOVER, ZOO_CELLS, zoo_cells


#: Teacher handovers that are not one ``--cfg-options`` key: the preparation before the
#: student trains makes the files and gives the options (MGDFR: the co-trained teacher exported
#: and its salience computed, :class:`~fdkd_mm.reproduction.teachers.StudentPreparation`).
PREPARED_HANDOVERS = (MGDFR_HANDOVER, )


@dataclass
class Run:
    """One training + test run of a config with a seed.

    Attributes:
        config: Config path relative to the repository root.
        seed: ``randomness.seed`` of the run.
        work_dir: Its work dir.
        teacher: The run whose last checkpoint is this distiller's teacher checkpoint.
        cells: The table cells this run reports (none for a teacher-only Uni run).
        teacher_option: The ``--cfg-options`` key the teacher's checkpoint is passed under.
    """
    config: str
    seed: int
    work_dir: str
    teacher: Optional['Run'] = None
    cells: list[PaperCell] = field(default_factory=list)
    teacher_option: str = 'model.teacher_ckpt'

    @property
    def method(self) -> Optional[str]:
        """The method key of its cells (``None`` for a teacher-only run)."""
        return self.cells[0].method if self.cells else None

    @property
    def dataset(self) -> Optional[str]:
        """The dataset key of its cells, else read from its config's name."""
        if self.cells:
            return self.cells[0].dataset
        stem = osp.splitext(osp.basename(self.config))[0]
        return stem.rsplit('_', 1)[-1]

    @property
    def info_file(self) -> str:
        """``run.json``: what the run was trained on (data root, whether the paper's data)."""
        return osp.join(self.work_dir, 'run.json')

    @property
    def name(self) -> str:
        return f'{osp.splitext(osp.basename(self.config))[0]} (seed {self.seed})'

    @property
    def is_distiller(self) -> bool:
        return self.teacher is not None

    @property
    def metrics_file(self) -> str:
        return osp.join(self.work_dir, 'test_metrics.json')

    @property
    def train_marker(self) -> str:
        return osp.join(self.work_dir, 'train_done')

    def done(self) -> bool:
        return osp.isfile(self.metrics_file) and osp.isfile(self.train_marker)

    def last_checkpoint(self) -> str:
        """The checkpoint MMEngine's ``last_checkpoint`` pointer names (the last epoch's)."""
        from mmengine.runner import find_latest_checkpoint  # torch: not for planning
        path = find_latest_checkpoint(self.work_dir)
        if path is None:
            raise FileNotFoundError(f'{self.name}: no last_checkpoint in {self.work_dir}')
        return path

    def metric(self, key: str) -> float:
        with open(self.metrics_file) as f:
            return float(json.load(f)[key])


def table_cells(table, dataset: Optional[str], methods: Optional[list[str]]) -> list:
    """The cells of a paper table (2, 3, 4, 7; ``None``: all of them) or of ours
    (``'unpaired'``, ``'zoo'``, ``'avmnist'``, ``'ravdess'``, ``'mm'``), optionally of one
    dataset and some methods."""
    if table == UNPAIRED_TABLE:
        return unpaired_cells(dataset, methods)
    if table == ZOO_TABLE:
        return zoo_cells(dataset, methods)
    if table in TABLES:
        return benchmark_cells(table, dataset, methods)
    return cells(table, dataset, methods)


def plan_runs(table: Optional[int], datasets: Optional[Sequence[str]],
              methods: Optional[Sequence[str]], seeds: Sequence[int], root: str,
              students: Optional[Sequence[str]] = None, teacher_seed: int = 0) -> list[Run]:
    """Every run a table needs, teachers first.

    Args:
        table: 2, 3, 4 or 7; ``None`` for every table of the paper; ``'zoo'`` for the CMKD
            benchmark's other methods; ``'unpaired'`` for our unpaired comparison;
            ``'avmnist'``, ``'ravdess'`` or ``'mm'`` for the other benchmarks
            (:mod:`fdkd_mm.reproduction.benchmark_tables`).
        datasets: Dataset keys to keep (``None``: all of the table's).
        methods: Method keys to keep (``None``: all of the table's); Uni teachers are added
            for the distillers regardless.
        seeds: The seeds of every cell.
        root: Where the work dirs go.
        students: Student modalities to keep (a table's columns, e.g. ``['visual']``);
            ``None`` keeps both directions.
        teacher_seed: The seed every teacher trains with, whatever ``seeds`` are: a later
            call with another seed reuses the teacher (``--seeds 1`` after ``--seeds 0``).

    Returns:
        Runs in dependency order (each teacher before its students), one per config and seed.

    Raises:
        ValueError: If the selection contains no cell.
    """
    selected = [cell for dataset in (datasets or [None])
                for cell in table_cells(table, dataset, list(methods) if methods else None)
                if students is None or cell.student in students]
    if not selected:
        pool = {UNPAIRED_TABLE: UNPAIRED_CELLS, ZOO_TABLE: ZOO_CELLS}.get(table, CELLS)
        if table in TABLES:
            pool = [c for c in BENCHMARK_CELLS if c.table == table]
        raise ValueError(f'no cell of table {table} for datasets {datasets}, methods '
                         f'{methods} and students {students}; the tables: '
                         f'{sorted({c.table for c in CELLS})} and {UNPAIRED_TABLE!r}, datasets: '
                         f'{sorted({c.dataset for c in pool})}, methods: '
                         f'{sorted({c.method for c in pool})}')
    runs: dict[tuple[str, int], Run] = {}

    def run_of(config: str, seed: int) -> Run:
        key = (config, seed)
        if key not in runs:
            basename = osp.splitext(osp.basename(config))[0]
            runs[key] = Run(config, seed, osp.join(root, basename, f'seed{seed}'))
        return runs[key]

    for cell in selected:
        teacher = None
        if cell.teacher_config is not None:
            # One teacher per dataset and modality, trained with the teacher seed.
            teacher = run_of(cell.teacher_config, teacher_seed)
        for seed in seeds:
            previous, option = teacher, cell.teacher_ckpt_option
            # A chained cell's earlier stages: the seed's own, each from the one before.
            for stage in getattr(cell, 'stages', ()):
                stage_run = run_of(stage, seed)
                if previous is not None:
                    stage_run.teacher, stage_run.teacher_option = previous, option
                previous, option = stage_run, getattr(cell, 'handover', 'load_from')
            run = run_of(cell.config, seed)
            run.teacher = previous
            if previous is not None:
                run.teacher_option = option
            if cell not in run.cells:
                run.cells.append(cell)
    return _teachers_first(list(runs.values()))


def _teachers_first(runs: list[Run]) -> list[Run]:
    """The runs without a teacher, then each distiller once its teacher is placed (in plan
    order otherwise; a chain's stages follow one another)."""
    ordered = [run for run in runs if not run.is_distiller]
    placed = {id(run) for run in ordered}
    waiting = [run for run in runs if run.is_distiller]
    while waiting:
        ready = [run for run in waiting if id(run.teacher) in placed]
        if not ready:
            raise ValueError(f'runs whose teachers are never planned: '
                             f'{[run.name for run in waiting]}')
        ordered += ready
        placed.update(id(run) for run in ready)
        waiting = [run for run in waiting if id(run) not in placed]
    return ordered


@dataclass
class Launcher:
    """How train / test commands run: one process, torchrun on N GPUs, or Slurm.

    Attributes:
        gpus: Processes (GPUs) per run; 1 runs tools/train.py directly.
        launcher: ``'none'``, ``'pytorch'`` (tools/dist_*.sh) or ``'slurm'``.
        partition: Slurm partition (``'slurm'`` only).
        python: The interpreter.
        repo: The repository root.
    """
    gpus: int = 1
    launcher: str = 'none'
    partition: Optional[str] = None
    python: str = sys.executable
    repo: str = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

    def train(self, config: str, args: list[str], job: str) -> list[str]:
        """The command line training ``config`` (``args``: tools/train.py's options)."""
        if self.launcher == 'slurm':
            return self._srun('train', [config, *args], job)
        if self.launcher == 'pytorch' or self.gpus > 1:
            return ['bash', 'tools/dist_train.sh', config, str(self.gpus), *args]
        return [self.python, 'tools/train.py', config, *args]

    def tool(self, script: str, args: list[str], job: str) -> list[str]:
        """The command line of a one-process tool (``script``: its path in the repository),
        e.g. the teacher cache or MGDFR's salience; one GPU under Slurm."""
        if self.launcher == 'slurm':
            if not self.partition:
                raise ValueError('--launcher slurm needs --partition')
            return ['srun', '-p', self.partition, f'--job-name={job}', '--gres=gpu:1',
                    '--ntasks=1', self.python, '-u', script, *args]
        return [self.python, script, *args]

    def test(self, config: str, checkpoint: str, args: list[str], job: str) -> list[str]:
        """The command line testing ``checkpoint`` (``args``: tools/test.py's options)."""
        if self.launcher == 'slurm':
            return self._srun('test', [config, checkpoint, *args], job)
        if self.launcher == 'pytorch' or self.gpus > 1:
            return ['bash', 'tools/dist_test.sh', config, checkpoint, str(self.gpus), *args]
        return [self.python, 'tools/test.py', config, checkpoint, *args]

    def cache_teacher(self, config: str, args: list[str], job: str) -> list[str]:
        """The command line caching ``config``'s teacher (``args``: tools/cache_teacher.py's
        options); one process: the teacher runs once over the data."""
        return self.tool('tools/cache_teacher.py', [config, *args], job)

    def _srun(self, tool: str, args: list[str], job: str) -> list[str]:
        if not self.partition:
            raise ValueError('--launcher slurm needs --partition')
        per_node = min(self.gpus, 8)
        return ['srun', '-p', self.partition, f'--job-name={job}', f'--gres=gpu:{per_node}',
                f'--ntasks={self.gpus}', f'--ntasks-per-node={per_node}',
                '--kill-on-bad-exit=1', self.python, '-u', f'tools/{tool}.py', *args,
                '--launcher', 'slurm']


@dataclass
class RunOutcome:
    """What happened to one run: ``'done'`` (now or before), ``'failed'`` or ``'skipped'``."""
    run: Run
    status: str
    message: str = ''


def run_options(run: Run, cfg_options: Sequence[str]) -> list[str]:
    """``--cfg-options`` of a run: its seed, its teacher's last checkpoint, the user's."""
    options = [f'randomness.seed={run.seed}', *cfg_options]
    if run.is_distiller and run.teacher_option not in PREPARED_HANDOVERS:
        options.append(f'{run.teacher_option}={run.teacher.last_checkpoint()}')
    return options


def execute(runs: Sequence[Run], launcher: Launcher, options_for: Callable[[Run], list[str]],
            log: Callable[[str], None] = print, run_argv: Sequence[str] = (),
            prepare: Optional[Callable[[Run], list[str]]] = None,
            run_info: Optional[Callable[[Run], dict]] = None) -> list[RunOutcome]:
    """Train and test every run not done yet; report, never abort on, a failed run.

    Args:
        runs: From :func:`plan_runs` (teachers first).
        launcher: How commands run.
        options_for: ``--cfg-options`` of a run (e.g. different ones for Uni and distillers).
        log: Where progress lines go.
        run_argv: Run options (``--data-root``, ``--epochs`` ...) of every train and test
            command (:func:`fdkd_mm.config.run_options.run_option_argv`).
        prepare: Called before a distiller trains, once its teacher is done; returns more
            ``--cfg-options`` for it (e.g. its teacher cache).
        run_info: What to record in a run's ``run.json`` before it trains.

    Returns:
        One outcome per run.
    """
    outcomes: dict[int, RunOutcome] = {}
    for index, run in enumerate(runs, 1):
        prefix = f'[{index}/{len(runs)}] {run.name}'
        if run.done():
            outcomes[id(run)] = RunOutcome(run, 'done', 'finished earlier')
            log(f'{prefix}: done earlier, skipped')
            continue
        teacher = outcomes.get(id(run.teacher)) if run.is_distiller else None
        if run.is_distiller and teacher is None and run.teacher.done():
            teacher = RunOutcome(run.teacher, 'done', 'finished earlier')  # not in this plan
        if run.is_distiller and (teacher is None or teacher.status != 'done'):
            outcomes[id(run)] = RunOutcome(run, 'skipped', f'its teacher {run.teacher.name} '
                                           'did not finish')
            log(f'{prefix}: skipped, its teacher did not finish')
            continue
        os.makedirs(run.work_dir, exist_ok=True)
        extra = list(prepare(run)) if (prepare is not None and run.is_distiller) else []
        if run_info is not None:
            write_text_atomic(run.info_file, json.dumps(run_info(run), indent=2) + '\n')
        outcome = _train_and_test(run, launcher, [*options_for(run), *extra], prefix, log,
                                  list(run_argv))
        outcomes[id(run)] = outcome
    return [outcomes[id(run)] for run in runs]


def _train_and_test(run: Run, launcher: Launcher, cfg_options: list[str], prefix: str,
                    log: Callable[[str], None], run_argv: list[str]) -> RunOutcome:
    options = run_options(run, cfg_options)
    job = osp.basename(osp.dirname(run.work_dir))
    stages = [('train', lambda: launcher.train(
        run.config, ['--work-dir', run.work_dir, '--resume', 'auto', *run_argv,
                     '--cfg-options', *options], job))]
    # The test's checkpoint is known once training is: the last epoch's.
    stages.append(('test', lambda: launcher.test(
        run.config, run.last_checkpoint(), ['--work-dir', osp.join(run.work_dir, 'test'),
                                            '--out', run.metrics_file, *run_argv,
                                            '--cfg-options', *options],
        job)))
    for stage, command in stages:
        if stage == 'train' and osp.isfile(run.train_marker):
            continue
        log(f'{prefix}: {stage}')
        log_file = osp.join(run.work_dir, f'{stage}.log')
        # The output goes to the log; one line per epoch and per evaluation comes here.
        returncode = run_logged(command(), launcher.repo, log_file,
                                lambda line: log(f'{prefix}: {line}'))
        if returncode != 0:
            log(f'{prefix}: {stage} FAILED (exit {returncode}), see {log_file}')
            return RunOutcome(run, 'failed', f'{stage} exited {returncode}; {log_file}')
        if stage == 'train':
            write_text_atomic(run.train_marker, 'ok\n')
    return RunOutcome(run, 'done')


def cell_results(runs: Sequence[Run], outcomes: Sequence[RunOutcome]) -> list[SeedSummary]:
    """One summary per table cell of the runs, its metric read from each seed's test.

    Args:
        runs: The planned runs.
        outcomes: What :func:`execute` returned for them.

    Returns:
        The cells' summaries, in plan order; a cell whose runs did not all finish says why in
        its ``status``.
    """
    status = {id(o.run): o for o in outcomes}
    by_cell: dict[PaperCell, SeedSummary] = {}
    for run in runs:
        for cell in run.cells:
            metric_key = metric(cell.dataset)
            summary = by_cell.get(cell)
            if summary is None:
                summary = by_cell[cell] = SeedSummary(
                    name=osp.splitext(osp.basename(run.config))[0], method=cell.method,
                    dataset=cell.dataset, teacher=cell.teacher, student=cell.student,
                    config=osp.basename(run.config), table=cell.table, paper_metric=metric_key,
                    paper=cell.reported, values={metric_key: []})
            outcome = status[id(run)]
            summary.seeds.append(run.seed)
            if outcome.status == 'done':
                # mmseg's IoUMetric and mmpretrain's Accuracy both report percentages.
                summary.values[metric_key].append(run.metric(metric_key))
            else:
                summary.status = f'seed {run.seed}: {outcome.status} ({outcome.message})'
    return list(by_cell.values())


def write_results(summaries: Sequence[SeedSummary], out_prefix: str,
                  with_paper: bool = True) -> list[str]:
    """``<prefix>.md``, ``<prefix>.csv`` and, when some cell has a number, ``<prefix>.png``.

    Args:
        summaries: From :func:`cell_results` or
            :func:`~fdkd_mm.reproduction.accumulate.collect_root`.
        out_prefix: Path without suffix.
        with_paper: Whether the Markdown table has the paper's column.

    Returns:
        The files written.
    """
    os.makedirs(osp.dirname(osp.abspath(out_prefix)), exist_ok=True)
    write_text_atomic(f'{out_prefix}.md', summary_markdown(summaries, with_paper) + '\n')
    write_summary_csv(f'{out_prefix}.csv', summaries)
    written = [f'{out_prefix}.md', f'{out_prefix}.csv']
    if any(s.mean() is not None for s in summaries):
        written.append(plot_summaries(f'{out_prefix}.png', summaries))
    return written
