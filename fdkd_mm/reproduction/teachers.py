"""Before a teacher's students train: its test metric, a warning when it is weak, its cache.

A teacher that never learned (its test accuracy near chance) or that is worse than the student
trained alone cannot teach; :func:`teacher_warnings` says so before any student starts.
With ``--teacher-cache`` the teacher's outputs are computed once, after it trained, by
``tools/cache_teacher.py --recorders all`` (every tensor the pair offers, so one cache serves
every method that reads a frozen teacher), and each cacheable student reads them
(``model.teacher_cache.path``). A direction whose teacher input is random (the cache tool
refuses it, saying why) and methods whose teacher trains (DML, C2KD) run with the live teacher.
"""
import glob
import json
import os.path as osp
import subprocess
from collections.abc import Callable, Sequence
from typing import Optional

from fdkd_mm.reproduction import benchmark_tables, paper_tables, unpaired_tables
from fdkd_mm.reproduction.runner import Launcher, Run
from fdkd_mm.reproduction.zoo_tables import MGDFR_HANDOVER

#: Methods whose teacher trains with the student: no cache can serve them.
TRAINABLE_TEACHER = ('dml', 'c2kd')
#: Percentage points above chance (100 / classes) under which a teacher counts as near chance.
CHANCE_MARGIN = 5.0
#: Classes per dataset, where a run's own config does not say.
NUM_CLASSES = dict(cremad=6, ave=28, vggsound=50, crisismmd=2, nyu=40, avmnist=10, ravdess=8)


def teacher_warnings(metric: str, value: float, num_classes: Optional[int],
                     alone: Sequence[float], margin: float = CHANCE_MARGIN) -> list[str]:
    """Why a teacher may not teach: near chance, or below the student trained alone.

    Args:
        metric: The test metric's name (chance is only defined for accuracy).
        value: The teacher's test metric (%).
        num_classes: Its classes (``None``: unknown, no chance test).
        alone: The student-alone runs' values of the same metric (any seeds).
        margin: Points above chance still counted as near chance.

    Returns:
        Warning lines (empty when the teacher looks fine).
    """
    warnings = []
    if num_classes and metric.startswith('accuracy'):
        chance = 100.0 / num_classes
        if value < chance + margin:
            warnings.append(f'WARNING: the teacher is near chance ({metric} {value:.2f} < '
                            f'chance {chance:.2f} + {margin:g}): it has not learned, so its '
                            'students learn nothing from it. Train it longer (--epochs), check '
                            'its data, or look at its train.log before reading these results.')
    if alone:
        mean = sum(alone) / len(alone)
        if value < mean:
            warnings.append(f'WARNING: the teacher ({metric} {value:.2f}) is below the student '
                            f'trained alone ({mean:.2f} over {len(alone)} seed(s)): '
                            'distillation from it is not expected to help.')
    return warnings


def _num_classes(run: Run) -> Optional[int]:
    """The classes of a finished run: from the config it dumped, else the dataset's."""
    dumped = sorted(glob.glob(osp.join(run.work_dir, '*.py')))
    if dumped:
        from mmengine.config import Config
        cfg = Config.fromfile(dumped[0])
        if isinstance(cfg.get('num_classes'), int):
            return cfg.num_classes
    return NUM_CLASSES.get(run.dataset)


def alone_config(student: Run) -> Optional[str]:
    """Basename of the student-alone config beside a distiller (the Uni of its modality)."""
    cell = student.cells[0] if student.cells else None
    if cell is None:
        return None
    if cell.table == 'unpaired':
        return f'uni-partb_{unpaired_tables.network(cell.dataset, cell.student)}_{cell.dataset}'
    if cell.table in benchmark_tables.TABLES:
        return f'uni_{cell.network(cell.student)}_{cell.dataset}'
    return paper_tables.config_name('uni', cell.dataset, cell.student)


def alone_values(root: str, basename: Optional[str], metric: str) -> list[float]:
    """The metric of every finished seed of a config under ``root``."""
    if basename is None:
        return []
    values = []
    for path in sorted(glob.glob(osp.join(root, basename, 'seed*', 'test_metrics.json'))):
        if osp.isfile(osp.join(osp.dirname(path), 'train_done')):
            with open(path) as f:
                values.append(float(json.load(f)[metric]))
    return values


class StudentPreparation:
    """What :func:`~fdkd_mm.reproduction.runner.execute` does before each distiller trains.

    Args:
        root: The work root.
        launcher: How commands run (its Python and repository).
        run_argv: Run options of every command.
        options_for: ``--cfg-options`` of a run.
        teacher_cache: Build and use teacher caches.
        log: Where lines go.
    """

    def __init__(self, root: str, launcher: Launcher, run_argv: Sequence[str],
                 options_for: Callable[[Run], list[str]], teacher_cache: bool = False,
                 log: Callable[[str], None] = print) -> None:
        self.root = root
        self.launcher = launcher
        self.run_argv = list(run_argv)
        self.options_for = options_for
        self.teacher_cache = teacher_cache
        self.log = log
        self.reported: set[str] = set()
        self.caches: dict[str, Optional[str]] = {}  # teacher work dir → cache root or None

    def __call__(self, run: Run) -> list[str]:
        """Report the teacher (once), build its cache (once); the run's extra options."""
        teacher = run.teacher
        if teacher.work_dir not in self.reported:
            self.reported.add(teacher.work_dir)
            for line in self.report(run):
                self.log(line)
        if run.teacher_option == MGDFR_HANDOVER:
            return self.mgdfr_files(run)
        if not self.teacher_cache or not self.cacheable(run):
            return []
        if teacher.work_dir not in self.caches:
            self.caches[teacher.work_dir] = self.build_cache(run)
        path = self.caches[teacher.work_dir]
        return [] if path is None else [f'model.teacher_cache.path={path}']

    def mgdfr_files(self, run: Run) -> list[str]:
        """MGDFR's step 2 on the co-training run ``run.teacher`` (once): its teacher exported
        and the channel salience computed from its last checkpoint, into its work dir.

        Returns:
            The KD run's options naming both files (a failed step is logged; the KD run then
            stops on the missing file, naming it).
        """
        cotrain = run.teacher
        teacher, salience = (osp.join(cotrain.work_dir, name)
                             for name in ('teacher.pth', 'salience.pth'))
        options = [f'model.teacher_ckpt={teacher}',
                   f'model.distill_losses.loss_mgdfr.salience_file={salience}']
        if osp.isfile(teacher) and osp.isfile(salience):
            return options
        checkpoint = cotrain.last_checkpoint()
        seed = [f'randomness.seed={cotrain.seed}', *self.options_for(cotrain)]
        steps = (('tools/export_student.py',
                  [checkpoint, teacher, '--config', cotrain.config, '--prefix', 'teacher.']),
                 ('tools/mgdfr_salience.py', [cotrain.config, checkpoint, salience,
                                              *self.run_argv, '--cfg-options', *seed]))
        log_file = osp.join(cotrain.work_dir, 'mgdfr_step2.log')
        self.log(f'MGDFR step 2 of {cotrain.name}: teacher export and salience '
                 f'(log: {log_file})')
        with open(log_file, 'w') as f:
            for script, args in steps:
                command = self.launcher.tool(script, args, osp.basename(cotrain.work_dir))
                if subprocess.run(command, cwd=self.launcher.repo, stdout=f,
                                  stderr=subprocess.STDOUT).returncode != 0:
                    self.log(f'MGDFR step 2 of {cotrain.name}: {script} failed, see {log_file}')
                    break
        return options

    def report(self, student: Run) -> list[str]:
        """The teacher's test metric and any warning, before its first student trains."""
        teacher = student.teacher
        metric = paper_tables.metric(student.dataset)
        try:
            value = teacher.metric(metric)
        except (OSError, KeyError, ValueError) as error:
            return [f'teacher {teacher.name}: no test {metric} ({error})']
        chance_classes = _num_classes(teacher)
        alone = alone_values(self.root, alone_config(student), metric)
        lines = [f'teacher {teacher.name}: test {metric} = {value:.2f}'
                 + (f' (chance {100.0 / chance_classes:.2f})' if chance_classes
                    and metric.startswith('accuracy') else '')]
        return lines + teacher_warnings(metric, value, chance_classes, alone)

    @staticmethod
    def cacheable(run: Run) -> bool:
        """A paper-table distiller whose teacher is frozen and handed over as a checkpoint."""
        return (run.teacher_option == 'model.teacher_ckpt' and run.method is not None
                and run.method not in TRAINABLE_TEACHER)

    def cache_dir(self, run: Run) -> str:
        return osp.join(run.teacher.work_dir, 'teacher_cache')

    def build_cache(self, run: Run) -> Optional[str]:
        """The teacher's cache root, built now unless it exists; ``None`` when refused."""
        out = self.cache_dir(run)
        if osp.isfile(osp.join(out, 'train', 'manifest.json')):
            self.log(f'teacher cache {out}: built earlier')
            return out
        command = self.launcher.cache_teacher(
            run.config, ['--out', out, '--recorders', 'all', '--overwrite', *self.run_argv,
                         '--cfg-options', *self.options_for(run),
                         f'{run.teacher_option}={run.teacher.last_checkpoint()}'],
            osp.basename(osp.dirname(run.teacher.work_dir)))
        log_file = osp.join(run.teacher.work_dir, 'teacher_cache.log')
        self.log(f'teacher cache of {run.teacher.name}: building (log: {log_file})')
        with open(log_file, 'w') as f:
            result = subprocess.run(command, cwd=self.launcher.repo, stdout=f,
                                    stderr=subprocess.STDOUT)
        if result.returncode != 0:
            with open(log_file) as f:
                reason = ([line.strip() for line in f if line.strip()] or ['?'])[-1]
            self.log(f'teacher cache of {run.teacher.name}: not possible, its students run '
                     f'with the live teacher ({reason[:300]})')
            return None
        return out
