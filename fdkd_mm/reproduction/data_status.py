"""Where each dataset's data lives and whether it is there, without building any config.

The plan of ``tools/reproduce.py`` says, per run, whether its data root and split files exist.
Building every run's config for that would take seconds per run; the data root and split files
are read instead, once per dataset, from the dataset's base config
(``configs/_base_/datasets/<dataset>_*.py``) with :mod:`ast` (no code runs), unless
``--data-root`` replaces the root. The same comparison tells whether the runs use the paper's
data: a run on another root gets no paper column (:func:`is_paper_data`).
"""
import ast
import functools
import os.path as osp
from dataclasses import dataclass, field
from typing import Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Dataset key → the base config that defines its data root and split files.
BASE_CONFIGS = {
    'cremad': 'configs/_base_/datasets/cremad_av.py',
    'ave': 'configs/_base_/datasets/ave_av.py',
    'vggsound': 'configs/_base_/datasets/vggsound_av.py',
    'crisismmd': 'configs/_base_/datasets/crisismmd_text_image.py',
    'nyu': 'configs/_base_/datasets/nyu_rgbd.py',
    'avmnist': 'configs/_base_/datasets/avmnist.py',
    'ravdess': 'configs/_base_/datasets/ravdess_av.py',
}
#: Split files of the datasets that name them by ``split=`` rather than ``ann_file=``.
SPLIT_FILES = {
    'nyu': ('train.txt', 'test.txt'),
    'crisismmd': tuple(f'crisismmd_datasplit_all/task_informative_text_img_{split}.tsv'
                       for split in ('train', 'dev', 'test')),
    'avmnist': tuple(f'{part}{split}_{kind}.npy' for split in ('train', 'test')
                     for part, kind in (('', 'labels'), ('image/', 'data'), ('audio/', 'data'))),
}


@dataclass(frozen=True)
class DatasetDefaults:
    """A dataset's data root and split files as its base config states them."""
    data_root: str
    split_files: tuple[str, ...] = field(default_factory=tuple)


@functools.lru_cache(maxsize=None)
def dataset_defaults(dataset: str) -> DatasetDefaults:
    """The data root and split files of ``dataset``'s base config (read, not executed).

    Raises:
        KeyError: An unknown dataset key.
    """
    path = osp.join(REPO, BASE_CONFIGS[dataset])
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    data_root, files = '', []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == 'data_root' for t in node.targets):
            if isinstance(node.value, ast.Constant):
                data_root = str(node.value.value)
        elif isinstance(node, ast.keyword) and node.arg == 'ann_file':
            if isinstance(node.value, ast.Constant) and node.value.value not in files:
                files.append(str(node.value.value))
    return DatasetDefaults(data_root, tuple(files) or SPLIT_FILES.get(dataset, ()))


@dataclass
class DataStatus:
    """Whether one dataset's data is where a run will read it.

    Attributes:
        dataset: Dataset key.
        data_root: The root the runs read (the given one or the config's).
        missing: Split files (or the root itself) not found.
    """
    dataset: str
    data_root: str
    missing: list[str]

    @property
    def ok(self) -> bool:
        return not self.missing

    def describe(self) -> str:
        if self.ok:
            return f'data {self.data_root} ok'
        return f'data {self.data_root} MISSING: {", ".join(self.missing)}'


def data_status(dataset: str, data_root: Optional[str] = None,
                repo: str = REPO) -> DataStatus:
    """Check the data root (``None``: the config's, relative to ``repo``) and split files.

    Args:
        dataset: Dataset key.
        data_root: ``--data-root``, else ``None``.
        repo: Where relative config roots are resolved (the runs' working directory).

    Returns:
        The status.
    """
    defaults = dataset_defaults(dataset)
    root = data_root or defaults.data_root
    where = root if osp.isabs(root) else osp.join(repo, root)
    if not osp.isdir(where):
        return DataStatus(dataset, root, ['no such folder'])
    missing = [name for name in defaults.split_files if not osp.isfile(osp.join(where, name))]
    return DataStatus(dataset, root, missing)


def is_paper_data(dataset: str, data_root: Optional[str], repo: str = REPO) -> bool:
    """Whether a run reads the dataset the paper used: no root given, or the config's own.

    Args:
        dataset: Dataset key.
        data_root: ``--data-root`` (or ``--cfg-options ...data_root=``), else ``None``.
        repo: Where relative roots are resolved.
    """
    if not data_root:
        return True
    default = dataset_defaults(dataset).data_root

    def real(path: str) -> str:
        return osp.realpath(path if osp.isabs(path) else osp.join(repo, path))

    return real(data_root) == real(default)
