"""The reported numbers of Liu et al. (AAAI 2026), Tables 2, 3, 4 and 7, as data.

Every cell names the method, the dataset, the teacher and student modalities, the number the
paper reports (top-1 % or mIoU %) and the config that reproduces it
(``configs/<family>/<method>_<teacher>_<student>_<dataset>.py``). The table-cell test walks
this data and checks each config exists, builds and validates; ``tools/reproduce.py`` and
``tools/analysis/collect_results.py`` put the reported number beside ours.

A config name carries, in order: the method (with its variant, e.g. ``fdkd-freq-align``), the
teacher as ``<arch>-<modality>``, the student likewise, and the dataset; a unimodal ("Uni")
config carries only the one network. Basenames are unique across ``configs/``.
"""
from dataclasses import dataclass
from typing import Optional

#: Dataset key → (modality a, modality b, architecture of a, architecture of b). Table 2/3
#: columns are named by the *student's* modality; its teacher is the other one.
DATASETS = {
    'cremad': ('audio', 'visual', 'r18', 'r18'),
    'ave': ('audio', 'visual', 'r18', 'r18'),
    'vggsound': ('audio', 'visual', 'r18', 'r18'),
    'crisismmd': ('text', 'image', 'bert', 'mbv2'),
    'nyu': ('depth', 'rgb', 'dlv3p-r18', 'dlv3p-r18'),
}

#: The test metric the paper reports per dataset (Table 3: mIoU; Tables 2, 4, 7: top-1 accuracy).
METRICS = dict(cremad='accuracy/top1', ave='accuracy/top1', vggsound='accuracy/top1',
               crisismmd='accuracy/top1', nyu='mIoU')
#: The metric :func:`metric` falls back to for an unknown dataset.
DEFAULT_METRIC = 'accuracy/top1'

#: Method key → config folder. Table 4 variants live beside FD-CMKD's ablations.
FAMILY = {
    'uni': 'uni', 'kd': 'kd', 'dist': 'dist', 'dml': 'dml', 'nkd': 'nkd', 'dkd': 'dkd',
    'feat': 'feat', 'pkd': 'pkd', 'ofd': 'ofd', 'afd': 'afd', 'c2kd': 'c2kd', 'fdkd': 'fdkd',
    'fdkd-freq': 'fdkd_ablation', 'fdkd-align': 'fdkd_ablation',
    'fdkd-freq-align': 'fdkd_ablation', 'fdkd-freq-scale': 'fdkd_ablation',
    'fdkd-freq-align-scale': 'fdkd_ablation',
    'fdkd-cutoff025': 'fdkd_cutoff', 'fdkd-cutoff075': 'fdkd_cutoff',
}


@dataclass(frozen=True)
class PaperCell:
    """One reported number of the paper.

    Attributes:
        table: 2, 3, 4 or 7.
        method: Method key (``'kd'``, ``'fdkd'``, ``'fdkd-freq-align'``, ``'uni'``, ...).
        dataset: Dataset key of :data:`DATASETS`.
        student: The student's modality (the column of the table).
        reported: The paper's number, ``None`` where the paper's text gives none (Table 7).
    """
    table: int
    method: str
    dataset: str
    student: str
    reported: Optional[float]

    @property
    def teacher(self) -> Optional[str]:
        """The teacher's modality: the dataset's other one (``None`` for a Uni model)."""
        if self.method == 'uni':
            return None
        a, b = DATASETS[self.dataset][:2]
        return b if self.student == a else a

    @property
    def config(self) -> str:
        """Path of the cell's config, relative to the repository root."""
        name = config_name(self.method, self.dataset, self.student)
        return f'configs/{FAMILY[self.method]}/{name}.py'

    @property
    def teacher_config(self) -> Optional[str]:
        """The config of the teacher a distiller needs: the Uni model of the other modality on
        the same dataset (``None`` for a Uni model)."""
        if self.teacher is None:
            return None
        return f'configs/uni/{config_name("uni", self.dataset, self.teacher)}.py'

    #: The ``--cfg-options`` key that hands the teacher's checkpoint to the cell's config.
    teacher_ckpt_option = 'model.teacher_ckpt'


def metric(dataset: Optional[str]) -> str:
    """The test metric the paper reports for a dataset.

    Args:
        dataset: A dataset key of :data:`DATASETS`, or ``None`` when unknown.

    Returns:
        Its entry of :data:`METRICS`; :data:`DEFAULT_METRIC` for ``None`` or another key.
    """
    return METRICS.get(dataset, DEFAULT_METRIC)


def network(dataset: str, modality: str,
            datasets: Optional[dict[str, tuple[str, str, str, str]]] = None) -> str:
    """``<arch>-<modality>``, e.g. ``'r18-audio'`` or ``'dlv3p-r18-depth'``.

    Args:
        dataset: Dataset key.
        modality: One of its two modalities.
        datasets: Dataset → (modality a, modality b, architecture of a, architecture of b);
            :data:`DATASETS` (the paper's) by default.

    Returns:
        The network tag the configs are named with.
    """
    a, b, arch_a, arch_b = (DATASETS if datasets is None else datasets)[dataset]
    if modality not in (a, b):
        raise ValueError(f'{dataset} has modalities {a!r} and {b!r}, not {modality!r}')
    return f'{arch_a if modality == a else arch_b}-{modality}'


def config_name(method: str, dataset: str, student: str) -> str:
    """Basename (without ``.py``) of the config of ``method`` with ``student`` on ``dataset``."""
    if method == 'uni':
        return f'uni_{network(dataset, student)}_{dataset}'
    a, b = DATASETS[dataset][:2]
    teacher = b if student == a else a
    return f'{method}_{network(dataset, teacher)}_{network(dataset, student)}_{dataset}'


def _cells(table: int, method: str, datasets: tuple[str, ...],
           values: tuple[Optional[float], ...]) -> list[PaperCell]:
    """Cells of one table row: ``values`` in the column order of ``datasets`` (a then b)."""
    columns = [(name, modality) for name in datasets for modality in DATASETS[name][:2]]
    if len(columns) != len(values):
        raise ValueError(f'table {table} row {method}: {len(values)} values for {columns}')
    return [PaperCell(table, method, name, modality, value)
            for (name, modality), value in zip(columns, values)]


_TABLE2 = ('cremad', 'ave', 'vggsound', 'crisismmd')
_TABLE2_ROWS = {
    'uni': (62.4, 66.8, 63.7, 38.8, 68.9, 44.9, 77.4, 70.2),
    'kd': (61.7, 62.6, 60.0, 39.1, 65.7, 45.4, 78.5, 70.5),
    'dist': (62.2, 64.0, 62.4, 40.3, 66.4, 45.5, 78.3, 71.3),
    'dml': (52.7, 61.2, 60.2, 43.3, 57.8, 44.9, 78.2, 71.2),
    'nkd': (62.4, 61.8, 60.7, 38.1, 65.6, 44.9, 78.1, 71.2),
    'dkd': (61.0, 61.4, 60.5, 38.1, 64.4, 44.5, 79.0, 70.7),
    'feat': (60.9, 64.3, 58.7, 39.6, 67.7, 45.5, 77.7, 70.8),
    'pkd': (60.4, 64.8, 58.0, 41.0, 62.9, 46.9, 77.5, 70.9),
    'ofd': (60.6, 61.6, 58.0, 39.6, 68.5, 45.8, 78.1, 71.2),
    'afd': (61.2, 59.5, 62.7, 38.8, 68.7, 45.8, 69.8, 72.3),
    'c2kd': (57.5, 59.8, 62.7, 39.3, 67.0, 47.9, 77.9, 71.4),
    'fdkd': (64.1, 71.0, 64.9, 47.8, 70.0, 48.1, 79.1, 72.7),
}
_TABLE3_ROWS = {  # NYU-Depth V2 mIoU, depth student then RGB student
    'uni': (30.9, 34.1), 'kd': (29.7, 32.8), 'dist': (32.3, 34.9), 'dkd': (32.5, 35.3),
    'feat': (29.4, 32.8), 'pkd': (31.0, 33.7), 'afd': (30.2, 32.7), 'c2kd': (31.8, 34.8),
    'fdkd': (33.2, 36.9),
}
# Table 4 rows by their switches (Freq / Align / Scale / Log); none = Feat, all four = FD-CMKD.
_TABLE4 = ('cremad', 'ave')
_TABLE4_ROWS = {
    'feat': (60.9, 64.3, 58.7, 39.6),
    'fdkd-freq': (60.8, 68.7, 61.0, 43.3),
    'fdkd-align': (60.9, 67.9, 63.2, 41.3),
    'fdkd-freq-align': (61.8, 68.7, 62.4, 45.8),
    'fdkd-freq-scale': (62.2, 70.0, 62.4, 44.8),
    'fdkd-freq-align-scale': (62.2, 70.6, 62.4, 46.0),
    'fdkd': (64.1, 71.0, 64.9, 47.8),
}
# Table 7 (cutoff ratio) is in the paper's appendix; its text only says 1/2 is the chosen
# threshold, so these cells carry no reported number.
_TABLE7 = ('cremad', 'nyu')
_TABLE7_ROWS = {method: (None,) * 4 for method in ('fdkd-cutoff025', 'fdkd', 'fdkd-cutoff075')}

#: Every cell of Tables 2, 3, 4 and 7.
CELLS: tuple[PaperCell, ...] = tuple(
    [cell for method, row in _TABLE2_ROWS.items() for cell in _cells(2, method, _TABLE2, row)]
    + [cell for method, row in _TABLE3_ROWS.items() for cell in _cells(3, method, ('nyu',), row)]
    + [cell for method, row in _TABLE4_ROWS.items() for cell in _cells(4, method, _TABLE4, row)]
    + [cell for method, row in _TABLE7_ROWS.items() for cell in _cells(7, method, _TABLE7, row)])


def cells(table: Optional[int] = None, dataset: Optional[str] = None,
          methods: Optional[list[str]] = None) -> list[PaperCell]:
    """The cells of one table / dataset / set of methods (``None`` selects all)."""
    return [cell for cell in CELLS
            if (table is None or cell.table == table)
            and (dataset is None or cell.dataset == dataset)
            and (methods is None or cell.method in methods)]


def find_cell(config_path: str) -> list[PaperCell]:
    """The cells reproduced by a config (matched by basename; a config may fill several
    cells, e.g. FD-CMKD's in Tables 2 and 4)."""
    basename = config_path.replace('\\', '/').rsplit('/', 1)[-1]
    return [cell for cell in CELLS if cell.config.rsplit('/', 1)[-1] == basename]
