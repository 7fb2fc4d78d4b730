"""Beyond the paper: the other methods of MST-Distill's CMKD benchmark, as a table of ours.

``tools/reproduce.py --table zoo`` runs RKD, MLLD, CRD and OFA (docs/baselines.md) on every
dataset of Tables 2 and 3, both directions, each from the Uni teacher of the other modality
(trained first, as for the paper's tables), beside the paper's rows when the results are
collected together. No number is reported for these cells (``reported`` is ``None``).

MGDFR's row chains its three steps per cell and seed (docs/baselines.md): the co-training run
(``configs/mgdfr/mgdfr-cotrain_*``), then, before the KD run, its teacher exported and the
salience computed from that run's last checkpoint (``tools/export_student.py --prefix
teacher.``, ``tools/mgdfr_salience.py``), then KD from both files (``configs/mgdfr/mgdfr_*``).
MST-Distill runs on the multimodal-teacher pairs only: it is the ``mst`` row of ``--table mm``
(:mod:`fdkd_mm.reproduction.benchmark_tables`), whose three chained cells the runner plans.
"""
from dataclasses import dataclass
from typing import Optional, Sequence

from fdkd_mm.reproduction.paper_tables import DATASETS, config_name

#: Key of the table in ``tools/reproduce.py --table``.
TABLE = 'zoo'
#: The rows, in order, with the config folder of each (``configs/<method>/``).
METHODS = ('rkd', 'mlld', 'crd', 'ofa', 'mgdfr')
#: Rows that first train earlier stages (config prefixes, same folder and seed).
CHAINED = {'mgdfr': ('mgdfr-cotrain', )}
#: MGDFR's handover from co-training to KD: not a ``--cfg-options`` key but files made before
#: the KD run (:meth:`~fdkd_mm.reproduction.teachers.StudentPreparation.mgdfr_files`).
MGDFR_HANDOVER = 'mgdfr-export'


@dataclass(frozen=True)
class ZooCell:
    """One method for one dataset and student modality.

    Attributes:
        method: A key of :data:`METHODS`.
        dataset: A dataset key of the paper's tables.
        student: The student's modality.
        table: Always ``'zoo'``.
        reported: Always ``None``.
    """
    method: str
    dataset: str
    student: str
    table: str = TABLE
    reported: Optional[float] = None

    @property
    def teacher(self) -> str:
        """The teacher's modality: the dataset's other one."""
        a, b = DATASETS[self.dataset][:2]
        return b if self.student == a else a

    @property
    def config(self) -> str:
        """Path of the cell's config, relative to the repository root."""
        return f'configs/{self.method}/{config_name(self.method, self.dataset, self.student)}.py'

    @property
    def stages(self) -> tuple[str, ...]:
        """Configs trained before this one with its seed (MGDFR's co-training)."""
        return tuple(f'configs/{self.method}/{config_name(prefix, self.dataset, self.student)}.py'
                     for prefix in CHAINED.get(self.method, ()))

    @property
    def handover(self) -> str:
        """How the last stage hands over to this run: MGDFR's exported teacher and
        salience, made before this run trains."""
        return MGDFR_HANDOVER if self.method == 'mgdfr' else 'load_from'

    @property
    def teacher_config(self) -> Optional[str]:
        """The Uni model of the other modality on the same dataset; ``None`` for a chained row
        (its first stage trains the teacher)."""
        if self.method in CHAINED:
            return None
        return f'configs/uni/{config_name("uni", self.dataset, self.teacher)}.py'

    #: The ``--cfg-options`` key that hands the teacher's checkpoint to the cell's config.
    teacher_ckpt_option = 'model.teacher_ckpt'


#: Every cell: every dataset, both directions, every method.
ZOO_CELLS: tuple[ZooCell, ...] = tuple(
    ZooCell(method, dataset, student)
    for dataset, spec in DATASETS.items() for student in spec[:2] for method in METHODS)


def zoo_cells(dataset: Optional[str] = None,
              methods: Optional[Sequence[str]] = None) -> list[ZooCell]:
    """The cells of one dataset / set of methods (``None`` selects all)."""
    return [cell for cell in ZOO_CELLS
            if (dataset is None or cell.dataset == dataset)
            and (methods is None or cell.method in methods)]
