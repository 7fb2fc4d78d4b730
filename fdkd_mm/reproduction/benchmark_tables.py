"""The other public CMKD benchmarks as tables of ours: AV-MNIST, RAVDESS and the multimodal teacher.

``tools/reproduce.py --table avmnist`` and ``--table ravdess`` run the rows of the paper's
Table 2 (Uni, KD, DIST, DML, NKD, DKD, Feat, PKD, OFD, AFD, C2KD, FD-CMKD) and the one-teacher
methods of ``--table zoo`` (RKD, MLLD, CRD, OFA) on AV-MNIST (image / audio) and RAVDESS
(visual / audio), both directions, each distiller from the Uni model of the other modality
("m2 → m1", ``configs/<method>/``). MGDFR and MST-Distill chain several cells per pair and are
not rows (``configs/mgdfr/``, ``configs/mst/``).

``--table mm`` is the multimodal-teacher setting ("MM → m", ``configs/mm/``): per dataset the
fusion model that sees both modalities (row ``uni``, its own test metric: the teacher's row)
and every distiller from it to each single modality, on CREMA-D, AVE, AV-MNIST, RAVDESS and
NYU-Depth V2 (an RGB-D DeepLabV3+; docs/multimodal_teacher.md); on every one of them also
MST-Distill (row ``mst``; on NYU its dense path), whose cell is the last of three chained runs
(``configs/mst/``: co-training, masks, routed KD, each from the previous one's checkpoint).

Published numbers: MST-Distill (arXiv 2507.07015) reports AV-MNIST and RAVDESS results in both
settings, and the unpaired CMKD paper (arXiv 2606.10504) reports RAVDESS; neither could be read
where these tables were written (only the papers' abstracts were at hand), so every cell's
``reported`` is ``None`` and the paper column stays empty. A number is entered in
:data:`PUBLISHED` only from the paper's own table, with its source beside it; none is guessed.
Their networks differ from ours too (MST-Distill: LeNet-5 / a three-layer CNN on AV-MNIST,
docs/reproduction.md), so a published figure is a reference, not a target.
"""
from dataclasses import dataclass
from typing import Optional, Sequence

from fdkd_mm.reproduction.paper_tables import network as paper_network

#: The rows of the AV-MNIST, RAVDESS and MM tables, in order (Table 2's methods).
METHODS = ('uni', 'kd', 'dist', 'dml', 'nkd', 'dkd', 'feat', 'pkd', 'ofd', 'afd', 'c2kd',
           'fdkd')
#: Rows the AV-MNIST and RAVDESS tables add after Table 2's: the other methods of the CMKD
#: benchmark with a one-teacher cell (as ``--table zoo`` does on the paper's datasets).
ZOO_METHODS = ('rkd', 'mlld', 'crd', 'ofa')
#: Rows of the MM table whose cell is the last of a chain of runs: method → the earlier stages'
#: config prefixes, in order (``configs/mst/<prefix>_<cell>.py``; each stage trains with the
#: cell's seed and starts from the previous stage's last checkpoint, ``load_from``).
CHAINED = {'mst': ('mst-cotrain', 'mst-mask')}
#: The MM table's datasets with an MST-Distill chain (NYU: its dense path, segmentors).
CHAINED_DATASETS = ('cremad', 'ave', 'avmnist', 'ravdess', 'nyu')
#: Keys of the tables in ``tools/reproduce.py --table``.
AVMNIST, RAVDESS, MM = 'avmnist', 'ravdess', 'mm'
TABLES = (AVMNIST, RAVDESS, MM)
#: Dataset → (modality a, modality b, architecture of a, architecture of b) for "m2 → m1".
UNIMODAL = {
    'avmnist': ('audio', 'image', 'r18', 'r18'),
    'ravdess': ('audio', 'visual', 'r18', 'r18'),
}
#: Dataset → (fusion network, its modality tag, the student modalities with their network).
FUSION = {
    'cremad': ('fusion-r18', 'av', {'audio': 'r18-audio', 'visual': 'r18-visual'}),
    'ave': ('fusion-r18', 'av', {'audio': 'r18-audio', 'visual': 'r18-visual'}),
    'avmnist': ('fusion-r18', 'ia', {'audio': 'r18-audio', 'image': 'r18-image'}),
    'ravdess': ('fusion-r18', 'av', {'audio': 'r18-audio', 'visual': 'r18-visual'}),
    'nyu': ('dlv3p-r18', 'rgbd', {'depth': 'dlv3p-r18-depth', 'rgb': 'dlv3p-r18-rgb'}),
}
#: Classes of the datasets these tables add (the others: the paper's tables).
NUM_CLASSES = {'avmnist': 10, 'ravdess': 8}
#: (table, method, dataset, student) → (published number, its source). Empty: see the module
#: docstring; a figure goes here only as read from the paper's own table.
PUBLISHED: dict[tuple[str, str, str, str], tuple[float, str]] = {}

#: Method key → config folder of the "m2 → m1" tables.
_FAMILY = {method: method for method in METHODS + ZOO_METHODS}


@dataclass(frozen=True)
class BenchmarkCell:
    """One row of a benchmark table for one dataset and student modality.

    Attributes:
        table: ``'avmnist'``, ``'ravdess'`` or ``'mm'``.
        method: A key of :data:`METHODS`.
        dataset: The dataset key.
        student: The student's modality; for the MM table's ``uni`` row the fused tag
            (``'av'``, ``'ia'``, ``'rgbd'``): the teacher itself.
        reported: The published number, ``None`` where none was read (all of them now).
    """
    table: str
    method: str
    dataset: str
    student: str
    reported: Optional[float] = None

    @property
    def teacher(self) -> Optional[str]:
        """The teacher's modality: the other one, or the fused tag (``None`` for a Uni row)."""
        if self.method == 'uni':
            return None
        if self.table == MM:
            return FUSION[self.dataset][1]
        a, b = UNIMODAL[self.dataset][:2]
        return b if self.student == a else a

    def network(self, modality: str) -> str:
        """``<arch>-<modality>`` of a modality of the cell's dataset (or the fused tag's
        fusion network), as the configs name it."""
        if self.table == MM:
            arch, fused, students = FUSION[self.dataset]
            return f'{arch}-{fused}' if modality == fused else students[modality]
        return paper_network(self.dataset, modality, UNIMODAL)

    def _chain_config(self, prefix: str) -> str:
        return (f'configs/mst/{prefix}_{self.network(self.teacher)}_'
                f'{self.network(self.student)}_{self.dataset}.py')

    @property
    def stages(self) -> tuple[str, ...]:
        """Configs trained before this one, in order and with its seed, each starting from
        the last checkpoint of the one before (``load_from``); empty for a one-run row."""
        return tuple(self._chain_config(prefix) for prefix in CHAINED.get(self.method, ()))

    @property
    def config(self) -> str:
        """Path of the row's config, relative to the repository root."""
        if self.method in CHAINED:
            return self._chain_config(self.method)
        folder = 'mm' if self.table == MM else _FAMILY[self.method]
        if self.method == 'uni':
            return f'configs/{folder}/uni_{self.network(self.student)}_{self.dataset}.py'
        return (f'configs/{folder}/{self.method}_{self.network(self.teacher)}_'
                f'{self.network(self.student)}_{self.dataset}.py')

    @property
    def teacher_config(self) -> Optional[str]:
        """The teacher's config: the fusion model (MM) or the other modality's Uni model;
        ``None`` for a Uni row and a chained one (its first stage trains its teachers)."""
        if self.teacher is None or self.method in CHAINED:
            return None
        folder = 'mm' if self.table == MM else 'uni'
        return f'configs/{folder}/uni_{self.network(self.teacher)}_{self.dataset}.py'

    #: The ``--cfg-options`` key that hands the teacher's checkpoint to the cell's config.
    teacher_ckpt_option = 'model.teacher_ckpt'


def _published(table: str, method: str, dataset: str, student: str) -> Optional[float]:
    entry = PUBLISHED.get((table, method, dataset, student))
    return None if entry is None else entry[0]


def _unimodal_cells(table: str) -> list[BenchmarkCell]:
    return [BenchmarkCell(table, method, table, student,
                          _published(table, method, table, student))
            for student in UNIMODAL[table][:2] for method in METHODS + ZOO_METHODS]


def _mm_cells() -> list[BenchmarkCell]:
    cells = []
    for dataset, (_, fused, students) in FUSION.items():
        cells.append(BenchmarkCell(MM, 'uni', dataset, fused,
                                   _published(MM, 'uni', dataset, fused)))
        cells += [BenchmarkCell(MM, method, dataset, student,
                                _published(MM, method, dataset, student))
                  for student in students for method in METHODS if method != 'uni']
        if dataset in CHAINED_DATASETS:
            cells += [BenchmarkCell(MM, method, dataset, student,
                                    _published(MM, method, dataset, student))
                      for student in students for method in CHAINED]
    return cells


#: Every cell of the three tables.
BENCHMARK_CELLS: tuple[BenchmarkCell, ...] = tuple(
    _unimodal_cells(AVMNIST) + _unimodal_cells(RAVDESS) + _mm_cells())


def benchmark_cells(table: str, dataset: Optional[str] = None,
                    methods: Optional[Sequence[str]] = None) -> list[BenchmarkCell]:
    """The cells of one table, optionally of one dataset and some methods.

    Args:
        table: A key of :data:`TABLES`.
        dataset: Dataset key to keep (``None``: all of the table's).
        methods: Method keys to keep (``None``: all).

    Returns:
        The cells in table order.
    """
    return [cell for cell in BENCHMARK_CELLS
            if cell.table == table and (dataset is None or cell.dataset == dataset)
            and (methods is None or cell.method in methods)]


def find_benchmark_cells(basename: str) -> list[BenchmarkCell]:
    """The cells a config fills (``basename``: its file name, with or without ``.py``)."""
    name = basename if basename.endswith('.py') else basename + '.py'
    return [cell for cell in BENCHMARK_CELLS if cell.config.rsplit('/', 1)[-1] == name]
