"""Validation metrics of finished runs, read from MMEngine work dirs, and what each run is.

MMEngine writes each run (and each resume) into ``<work_dir>/<timestamp>/``: the visualizer's
``vis_data/scalars.json`` (one JSON object per line; training lines carry ``loss``/``lr``,
validation lines the metrics and ``step`` = the epoch, or the iteration for iteration-based
loops) and the text log ``<timestamp>.log`` (``Epoch(val) [e][i/n]  mIoU: ...``). The
scalars are read when present, the log otherwise; timestamps are read in order, so a resumed
run continues its history. The Runner also dumps the run's config as ``<work_dir>/<name>.py``
(and ``<timestamp>/vis_data/config.py``): it says what the run is (:func:`identify_run`).
"""
import glob
import hashlib
import json
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Optional

from fdkd_mm.reproduction import paper_tables

#: Tried in order when no metric is named: mmseg IoUMetric, then mmpretrain Accuracy.
DEFAULT_METRICS = ('mIoU', 'accuracy/top1', 'accuracy/top-1', 'accuracy')
#: The metric the paper reports per dataset, and the one for any other (:func:`paper_tables.
#: metric`).
PAPER_METRICS = paper_tables.METRICS
PAPER_DEFAULT_METRIC = paper_tables.DEFAULT_METRIC
#: Our dataset types → the dataset keys of :mod:`fdkd_mm.reproduction.paper_tables`.
DATASET_KEYS = {'NYUDepthV2Dataset': 'nyu', 'CremaDDataset': 'cremad', 'AVEDataset': 'ave',
                'VGGSoundDataset': 'vggsound', 'CrisisMMDDataset': 'crisismmd'}
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


# ------------------------------------------------------------------------------ one metric
@dataclass
class MetricSummary:
    """Last and best value of one metric over a run's validations."""
    metric: str
    last: float
    last_step: int
    best: float
    best_step: int
    evaluations: int


def metric_keys(records: list[dict]) -> list[str]:
    """Every metric of the records, in first-seen order (``step`` excluded)."""
    return list(dict.fromkeys(k for r in records for k in r if k not in _NOT_METRICS))


def primary_metric(keys: list[str]) -> Optional[str]:
    """The first of :data:`DEFAULT_METRICS` among ``keys``."""
    return next((m for m in DEFAULT_METRICS if m in keys), None)


def summarize_metric(records: list[dict], metric: str,
                     lower_is_better: bool = False) -> MetricSummary:
    """Pick the last and the best validation value of ``metric``.

    Raises:
        ValueError: No record has the metric (the message lists the keys found).
    """
    values = [(r['step'], float(r[metric])) for r in records if metric in r]
    if not values:
        raise ValueError(f'no validation result with {metric!r}; the validation keys are '
                         f'{metric_keys(records)}')
    pick = min if lower_is_better else max
    best_step, best = pick(values, key=lambda sv: sv[1])
    last_step, last = values[-1]
    return MetricSummary(metric, last, last_step, best, best_step, len(values))


# ------------------------------------------------------------------------------ one run
@dataclass
class RunInfo:
    """What a run is: its path, its config and what the config says.

    Attributes:
        path: The work dir relative to the common root of the collected runs.
        config: Basename of the run's config (``kd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py``).
        method: Method key (``'kd'``, ``'fdkd'``, ``'uni'``; the config name otherwise).
        dataset: Dataset key (``'nyu'``, ``'cremad'``, ...), ``None`` if unknown.
        teacher: The teacher's modality (``None`` for a unimodal model).
        student: The student's (or the unimodal model's) modality.
        seed: ``randomness.seed`` of the config.
        experiment: Digest of the config without its seed and paths: runs that share it
            are one experiment with different seeds.
        cells: The paper's table cells this config reproduces.
    """
    path: str
    config: str
    method: str
    dataset: Optional[str]
    teacher: Optional[str]
    student: Optional[str]
    seed: Optional[int]
    experiment: str = ''
    cells: list = field(default_factory=list)

    @property
    def direction(self) -> str:
        """``'depth→rgb'`` for a distiller, the modality for a unimodal model."""
        if self.teacher:
            return f'{self.teacher}→{self.student}'
        return self.student or '?'

    @property
    def paper_metric(self) -> str:
        return paper_tables.metric(self.dataset)

    @property
    def reported(self) -> Optional[float]:
        """The paper's number for this run (the first cell reporting one), else ``None``."""
        return next((c.reported for c in self.cells if c.reported is not None), None)


def dumped_config(work_dir: str) -> Optional[str]:
    """The config MMEngine dumped for the run: ``<work_dir>/<name>.py``, else the newest
    ``<timestamp>/vis_data/config.py``."""
    top = sorted(glob.glob(osp.join(work_dir, '*.py')), key=osp.getmtime)
    if top:
        return top[-1]
    nested = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'config.py')))
    return nested[-1] if nested else None


def parse_config_name(name: str) -> Optional[dict]:
    """``'<method>_<arch>-<teacher>_<arch>-<student>_<dataset>'`` (``'uni_<arch>-<mod>_<ds>'``)
    → method, teacher, student, dataset; ``None`` if the name does not follow the scheme."""
    parts = osp.splitext(osp.basename(name))[0].split('_')
    if parts[0] == 'uni' and len(parts) == 3:
        method, teacher, student, dataset = 'uni', None, parts[1], parts[2]
    elif len(parts) == 4:
        method, teacher, student, dataset = parts
    else:
        return None
    if dataset not in paper_tables.DATASETS:
        return None
    modalities = paper_tables.DATASETS[dataset][:2]
    teacher = teacher.rsplit('-', 1)[-1] if teacher else None
    student = student.rsplit('-', 1)[-1]
    if student not in modalities or (teacher is not None and teacher not in modalities):
        return None
    return dict(method=method, teacher=teacher, student=student, dataset=dataset)


def _from_content(cfg) -> dict:
    """Dataset and modalities read from the config itself (names outside the scheme)."""
    from fdkd_mm.models.distillers.validation import packed_input_keys
    loader = cfg.get('val_dataloader') or cfg.get('test_dataloader') or {}
    dataset = loader.get('dataset') or {}
    model = cfg.get('model') or {}
    student, teacher = model.get('student_input'), model.get('teacher_input')
    if student is None:
        packed = packed_input_keys(dataset.get('pipeline'))
        student = packed[0][0] if packed and len(packed[0]) == 1 else None
    return dict(dataset=DATASET_KEYS.get(str(dataset.get('type', '')).rsplit('.', 1)[-1]),
                student=student, teacher=teacher)


#: Config keys that differ between the seeds of one experiment (or where they ran).
RUN_ONLY_KEYS = ('randomness', 'work_dir', 'launcher', 'resume', 'load_from')


def experiment_digest(cfg) -> str:
    """A digest of the config without :data:`RUN_ONLY_KEYS`."""
    content = {k: v for k, v in cfg.to_dict().items() if k not in RUN_ONLY_KEYS}
    text = json.dumps(content, sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def identify_run(work_dir: str, root: str) -> RunInfo:
    """Name a run by its path under ``root`` and read what it is from its config.

    The config's name decides when it is one of the paper's cells (:func:`paper_tables.
    find_cell`) or follows the naming scheme; otherwise the dataset and modalities come from
    the config's content and the method is the config's name.

    Args:
        work_dir: The run's work dir.
        root: The common root of the collected runs (row names are relative to it).

    Returns:
        The run's identity.
    """
    path = osp.relpath(osp.abspath(work_dir), osp.abspath(root))
    config_path = dumped_config(work_dir)
    name = osp.basename(config_path) if config_path else osp.basename(work_dir) + '.py'
    if config_path and osp.basename(config_path) == 'config.py':
        name = osp.basename(osp.normpath(work_dir)) + '.py'  # vis_data copy: name lost
    seed, content, experiment = None, {}, path  # without a config: one experiment per run
    if config_path:
        from mmengine.config import Config
        cfg = Config.fromfile(config_path)
        seed = (cfg.get('randomness') or {}).get('seed')
        content = _from_content(cfg)
        experiment = experiment_digest(cfg)
    cells = paper_tables.find_cell(name)
    parsed = parse_config_name(name)
    if cells:
        cell = cells[0]
        ident = dict(method=cell.method, dataset=cell.dataset, teacher=cell.teacher,
                     student=cell.student)
    elif parsed:
        ident = parsed
    else:
        ident = dict(content, method=osp.splitext(name)[0])
    return RunInfo(path=path, config=name, seed=seed, experiment=experiment, cells=cells,
                   **{k: ident.get(k) for k in ('method', 'dataset', 'teacher', 'student')})


@dataclass
class RunResult:
    """A run and the summary of each of its validation metrics."""
    info: RunInfo
    metrics: dict


def collect_run(work_dir: str, root: str,
                lower_is_better: tuple = ()) -> Optional[RunResult]:
    """Identify a run and summarise every validation metric it logged.

    Returns:
        ``None`` when the work dir holds no validation result.
    """
    records = read_val_records(work_dir)
    if not records:
        return None
    metrics = {m: summarize_metric(records, m, m in lower_is_better)
               for m in metric_keys(records)}
    return RunResult(identify_run(work_dir, root), metrics)
