"""Our comparison for distillation without paired data, as data (not a table of the paper).

The unpaired protocol (docs/unpaired.md) splits a paired training set into two disjoint parts
(CREMA-D and RAVDESS by actor, VGGSound by video, AVE by clip, NYU-Depth V2 by scene): the
teacher trains on part A in its modality, the student on part B in its own. Per dataset and direction the table
has these rows, all tested on the whole test split in the student's modality:

* ``uni-partb``: the student alone on part B;
* ``heads-partb``: the student with unpaired FD's band heads alone, no teacher (a control: the
  heads are an auxiliary classification loss of their own);
* ``ukd``: class-mean soft-label KD, a simple unpaired baseline;
* ``ucmkd-sumall``, ``ucmkd-bilevel``: the published method ("Cross-Modal Knowledge
  Distillation without Paired Data"), optimal-transport feature alignment and label alignment
  through the teacher's classifier, both from the teacher's bank (classification only: it
  needs pooled features and a linear classifier, so NYU-Depth V2 has no such rows);
* ``ucmkd-sumall-stream``, ``ucmkd-bilevel-stream``: the same with the teacher's batches
  streamed: the frozen part-A teacher runs at every step on a batch of part A drawn by its
  own dataloader (``teacher_dataloader``), instead of a bank built before training;
* ``ufd``: unpaired FD (ours): class-level band statistics and label alignment to a teacher
  bank, shared heads;
* ``fdkd-partb``: paired FD-CMKD on part B (the upper bound that pairs allow).

Every distiller's teacher (the two teacher-free rows have none) is the Uni model of the other modality trained on part A
(``configs/unpaired/uni-parta_*``); the runner trains it first and hands its checkpoint to the
teacher bank (``teacher_bank.teacher_ckpt``) or to the streamed or paired distiller
(``model.teacher_ckpt``).
No number is reported for these cells (``reported`` is ``None``).
"""
from dataclasses import dataclass
from typing import Optional, Sequence

from fdkd_mm.reproduction.benchmark_tables import UNIMODAL
from fdkd_mm.reproduction.paper_tables import DATASETS as PAPER_DATASETS
from fdkd_mm.reproduction.paper_tables import network as paper_network


#: Key of the table in ``tools/reproduce.py --table``.
TABLE = 'unpaired'
#: The rows, in order, with what they are.
METHODS = {
    'uni-partb': 'student alone (part B)',
    'heads-partb': 'student + band heads, no teacher (control)',
    'ukd': 'class-mean soft-label KD (unpaired)',
    'ucmkd-sumall': 'published unpaired method, sumall (FA + LA)',
    'ucmkd-bilevel': 'published unpaired method, bilevel (FA + LA)',
    'ucmkd-sumall-stream': 'published unpaired method, sumall, teacher batches streamed',
    'ucmkd-bilevel-stream': 'published unpaired method, bilevel, teacher batches streamed',
    'ufd': 'unpaired FD (ours)',
    'fdkd-partb': 'paired FD-CMKD on part B (upper bound)',
}
#: The rows trained without any teacher.
TEACHER_FREE = ('uni-partb', 'heads-partb')
#: The rows of classification datasets only (pooled features, a linear teacher classifier).
CLASSIFICATION_ONLY = ('ucmkd-sumall', 'ucmkd-bilevel', 'ucmkd-sumall-stream',
                       'ucmkd-bilevel-stream')
#: The rows whose teacher runs on batches of its own data (a streamed teacher, no bank).
STREAMED = ('ucmkd-sumall-stream', 'ucmkd-bilevel-stream')
#: Datasets of the protocol and their modalities (teacher / student either way).
DATASETS = {'nyu': ('depth', 'rgb'), 'cremad': ('audio', 'visual'), 'ave': ('audio', 'visual'),
            'vggsound': ('audio', 'visual'), 'ravdess': ('audio', 'visual')}
#: How each distiller receives its teacher's checkpoint.
TEACHER_CKPT_OPTIONS = {'ukd': 'teacher_bank.teacher_ckpt', 'ufd': 'teacher_bank.teacher_ckpt',
                        'ucmkd-sumall': 'teacher_bank.teacher_ckpt',
                        'ucmkd-bilevel': 'teacher_bank.teacher_ckpt',
                        'ucmkd-sumall-stream': 'model.teacher_ckpt',
                        'ucmkd-bilevel-stream': 'model.teacher_ckpt',
                        'fdkd-partb': 'model.teacher_ckpt'}


def network(dataset: str, modality: str) -> str:
    """``<arch>-<modality>`` of a dataset of the protocol, e.g. ``'r18-audio'`` (the paper's
    datasets and RAVDESS, whose networks the other benchmarks name)."""
    return paper_network(dataset, modality, {**PAPER_DATASETS, **UNIMODAL})


@dataclass(frozen=True)
class UnpairedCell:
    """One row of the unpaired comparison for one dataset and student modality.

    Attributes:
        method: A key of :data:`METHODS`.
        dataset: A key of :data:`DATASETS`.
        student: The student's modality.
        table: Always ``'unpaired'``.
        reported: Always ``None`` (nothing to compare with).
    """
    method: str
    dataset: str
    student: str
    table: str = TABLE
    reported: Optional[float] = None

    @property
    def teacher(self) -> Optional[str]:
        """The teacher's modality (``None`` for the student alone)."""
        if self.method in TEACHER_FREE:
            return None
        a, b = DATASETS[self.dataset]
        return b if self.student == a else a

    @property
    def config(self) -> str:
        """Path of the row's config, relative to the repository root."""
        student = network(self.dataset, self.student)
        if self.teacher is None:
            return f'configs/unpaired/{self.method}_{student}_{self.dataset}.py'
        teacher = network(self.dataset, self.teacher)
        return f'configs/unpaired/{self.method}_{teacher}_{student}_{self.dataset}.py'

    @property
    def teacher_config(self) -> Optional[str]:
        """The teacher's config: the Uni model of the other modality on part A."""
        if self.teacher is None:
            return None
        return f'configs/unpaired/uni-parta_{network(self.dataset, self.teacher)}_{self.dataset}.py'

    @property
    def teacher_ckpt_option(self) -> Optional[str]:
        """The ``--cfg-options`` key that hands the teacher's checkpoint to the config."""
        return TEACHER_CKPT_OPTIONS.get(self.method)


#: Every cell: every dataset, both directions, its rows.
UNPAIRED_CELLS: tuple[UnpairedCell, ...] = tuple(
    UnpairedCell(method, dataset, student)
    for dataset, modalities in DATASETS.items() for student in modalities
    for method in METHODS if dataset != 'nyu' or method not in CLASSIFICATION_ONLY)


def unpaired_cells(dataset: Optional[str] = None,
                   methods: Optional[Sequence[str]] = None) -> list[UnpairedCell]:
    """The cells of one dataset / set of methods (``None`` selects all)."""
    return [cell for cell in UNPAIRED_CELLS
            if (dataset is None or cell.dataset == dataset)
            and (methods is None or cell.method in methods)]
