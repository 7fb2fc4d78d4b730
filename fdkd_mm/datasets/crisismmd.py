"""CrisisMMD v2.0 tweet text + image classification with the public benchmark splits.

On-disk layout (``data_root`` is the extracted ``CrisisMMD_v2.0`` directory, with the split
archives ``crisismmd_datasplit_all.zip`` / ``crisismmd_datasplit_agreed_label.zip`` unzipped
inside it)::

    CrisisMMD_v2.0/
      data_image/<event_name>/<date>/<image_id>.jpg
      crisismmd_datasplit_all/
        task_informative_text_img_{train,dev,test}.tsv
        task_humanitarian_text_img_{train,dev,test}.tsv
      crisismmd_datasplit_agreed_label/
        task_informative_text_img_agreed_lab_{train,dev,test}.tsv
        task_humanitarian_text_img_agreed_lab_{train,dev,test}.tsv

Each TSV has a header row; one row is one (tweet, image) pair. The columns this loader reads are
``tweet_id``, ``image_id``, ``tweet_text``, ``image`` (image path relative to ``data_root``) and
the label column (``label`` by default; ``label_text`` / ``label_image`` hold the per-modality
annotations in the ``all`` split set). A tweet with several images appears once per image.
"""
import os.path as osp
from typing import Optional

import cv2
from mmpretrain.datasets import BaseDataset

from fdkd_mm.datasets.safe_paths import resolve_inside
from fdkd_mm.errors import DataError, MissingDataError
from fdkd_mm.registry import DATASETS
from .bad_samples import SkipBadSamplesMixin

# Class order is alphabetical, as in the dataset's own published class lists, so that an index
# means the same thing in every split and config.
INFORMATIVE_CLASSES = ('informative', 'not_informative')
HUMANITARIAN_CLASSES_ALL = (
    'affected_individuals',
    'infrastructure_and_utility_damage',
    'injured_or_dead_people',
    'missing_or_found_people',
    'not_humanitarian',
    'other_relevant_information',
    'rescue_volunteering_or_donation_effort',
    'vehicle_damage',
)
# The agreed-label benchmark merges injured/dead and missing/found people into affected
# individuals and vehicle damage into infrastructure damage, leaving five classes.
HUMANITARIAN_CLASSES_AGREED = (
    'affected_individuals',
    'infrastructure_and_utility_damage',
    'not_humanitarian',
    'other_relevant_information',
    'rescue_volunteering_or_donation_effort',
)
TASK_CLASSES = {
    'all': dict(informative=INFORMATIVE_CLASSES, humanitarian=HUMANITARIAN_CLASSES_ALL),
    'agreed': dict(informative=INFORMATIVE_CLASSES, humanitarian=HUMANITARIAN_CLASSES_AGREED),
}
SPLITS = ('train', 'dev', 'test')
REQUIRED_COLUMNS = ('tweet_id', 'image_id', 'tweet_text', 'image')


def default_ann_file(task: str, split: str, split_set: str) -> str:
    """Path of a benchmark split TSV relative to ``data_root``.

    Args:
        task: ``'informative'`` or ``'humanitarian'``.
        split: ``'train'``, ``'dev'`` or ``'test'``.
        split_set: ``'all'`` (``crisismmd_datasplit_all``) or ``'agreed'``
            (``crisismmd_datasplit_agreed_label``).

    Returns:
        The relative TSV path, e.g. ``crisismmd_datasplit_all/task_informative_text_img_train.tsv``.
    """
    if split_set == 'all':
        return f'crisismmd_datasplit_all/task_{task}_text_img_{split}.tsv'
    return f'crisismmd_datasplit_agreed_label/task_{task}_text_img_agreed_lab_{split}.tsv'


def image_file_problems(path: str) -> list[str]:
    """What is wrong with an image file: missing, or not decodable.

    Args:
        path: The image.

    Returns:
        One message naming the file, or none when it decodes.
    """
    if not osp.isfile(path):
        return [f'{path}: missing (image)']
    if cv2.imread(path, cv2.IMREAD_COLOR) is None:
        return [f'{path}: cannot be decoded, truncated or not an image']
    return []


@DATASETS.register_module()
class CrisisMMDDataset(SkipBadSamplesMixin, BaseDataset):
    """CrisisMMD v2.0 (tweet text, tweet image) pairs with one class label per pair.

    Every data info holds ``text`` (the raw tweet), ``img_path``, ``gt_label`` (class index),
    ``tweet_id``, ``image_id`` and ``event_name``; the pipeline loads and transforms both
    modalities (e.g. ``fdkd_mm.TokenizeText`` and ``LoadImageFromFile`` + mmpretrain transforms).

    Args:
        data_root: The ``CrisisMMD_v2.0`` directory.
        split: ``'train'``, ``'dev'`` or ``'test'``; picks the default ``ann_file``.
        task: ``'informative'`` (2 classes, default) or ``'humanitarian'`` (8 classes in the
            ``all`` split set, 5 in ``agreed``).
        split_set: ``'all'`` (default) or ``'agreed'``; see :func:`default_ann_file`.
        ann_file: Explicit TSV path (relative to ``data_root`` or absolute); overrides the
            default built from ``task``, ``split`` and ``split_set``.
        label_column: TSV column holding the class name (``label``, ``label_text`` or
            ``label_image``).
        consistent_only: Keep only pairs whose ``label_text`` equals ``label_image``, i.e. the
            text and the image were annotated with the same class (needs both columns).
        check_files: Verify at load time that every image exists, so a missing file fails
            early with its TSV row instead of mid-epoch in a worker.
        skip_bad_samples: Replace a pair whose image turns out unreadable while training
            (truncated or not an image; a few of the crawled images are) by the next good
            one, log it and mark the replacement for ``BadSampleReportHook``. Defaults to
            False: the first bad image stops training with an error naming it.
        max_consecutive_bad: With ``skip_bad_samples``, how many bad samples in a row are
            tolerated before giving up.
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset` (``pipeline``,
            ``test_mode``, ``metainfo``, ``indices``, ...).
    """

    BAD_SAMPLE_NAME = 'CrisisMMD'

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 task: str = 'informative',
                 split_set: str = 'all',
                 ann_file: str = '',
                 label_column: str = 'label',
                 consistent_only: bool = False,
                 check_files: bool = True,
                 metainfo: Optional[dict] = None,
                 skip_bad_samples: bool = False,
                 max_consecutive_bad: int = 10,
                 **kwargs) -> None:
        if split_set not in TASK_CLASSES:
            raise ValueError(f'split_set must be one of {sorted(TASK_CLASSES)}, got {split_set!r}')
        if task not in TASK_CLASSES[split_set]:
            raise ValueError(f'task must be one of {sorted(TASK_CLASSES[split_set])}, '
                             f'got {task!r}')
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        self.task = task
        self.split = split
        self.split_set = split_set
        self.label_column = label_column
        self.consistent_only = consistent_only
        self.check_files = check_files
        self.init_bad_sample_handling(skip_bad_samples, max_consecutive_bad)
        metainfo = dict(metainfo or {})
        metainfo.setdefault('classes', TASK_CLASSES[split_set][task])
        super().__init__(
            ann_file=ann_file or default_ann_file(task, split, split_set),
            data_root=data_root,
            data_prefix='',
            metainfo=metainfo,
            **kwargs)

    @staticmethod
    def config_ann_file(dataset_cfg: dict) -> str:
        """The split TSV a config of this dataset reads, relative to its ``data_root`` (for
        checks made before the dataset is built).

        Args:
            dataset_cfg: The dataset's config.

        Returns:
            ``ann_file``, else the benchmark TSV of its task, split and split set.
        """
        return dataset_cfg.get('ann_file') or default_ann_file(
            dataset_cfg.get('task', 'informative'), dataset_cfg.get('split', 'train'),
            dataset_cfg.get('split_set', 'all'))

    def load_data_list(self) -> list[dict]:
        """Parse the split TSV into data infos, validating every row.

        Returns:
            One dict per (tweet, image) row kept.

        Raises:
            FileNotFoundError: The TSV or an image it names does not exist.
            ValueError: A row has the wrong number of fields, a needed column is missing, or a
                label is not one of the task's classes.
        """
        data_list = self.read_split_file(self.ann_file)
        if not data_list:
            raise DataError(f'CrisisMMD split file {self.ann_file} has no sample row (only a '
                            'header' + (', or no row whose text and image labels agree'
                                        if self.consistent_only else '') + ')')
        return data_list

    def read_split_file(self, path: str) -> list[dict]:
        """Parse one split TSV into data infos, validating every row.

        Args:
            path: The TSV.

        Returns:
            One dict per (tweet, image) row kept, in file order.

        Raises:
            FileNotFoundError: The TSV or an image it names does not exist.
            ValueError: A row has the wrong number of fields, a needed column is missing, or a
                label is not one of the task's classes.
        """
        if not osp.isfile(path):
            raise MissingDataError(f'CrisisMMD split file not found: {path}')
        class_to_idx = {name: idx for idx, name in enumerate(self.metainfo['classes'])}
        # The files are plain tab-separated text without quoting (tweets contain quote
        # characters), so a split on tabs is the faithful parse. Lines end at '\n' only:
        # str.splitlines would also break on separators such as U+2028 inside a tweet.
        with open(path, encoding='utf-8-sig', newline='') as f:
            lines = [line.rstrip('\r') for line in f.read().split('\n')]
        if not lines[0].strip():
            raise ValueError(f'{path} is empty; expected a header row')
        header = lines[0].split('\t')
        needed = list(REQUIRED_COLUMNS) + [self.label_column]
        if self.consistent_only:
            needed += ['label_text', 'label_image']
        missing = [name for name in needed if name not in header]
        if missing:
            raise ValueError(f'{path}: missing columns {missing}; header has {header}')
        column = {name: header.index(name) for name in header}

        data_list = []
        for line_no, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue  # a trailing blank line is not a malformed row
            fields = line.split('\t')
            if len(fields) != len(header):
                raise ValueError(f'{path}:{line_no}: malformed row with {len(fields)} '
                                 f'fields, expected {len(header)} ({header})')
            row = {name: fields[idx] for name, idx in column.items()}
            if self.consistent_only and row['label_text'] != row['label_image']:
                continue
            data_list.append(self._parse_row(row, class_to_idx, line_no, path))
        return data_list

    def _parse_row(self, row: dict, class_to_idx: dict, line_no: int,
                   path: Optional[str] = None) -> dict:
        """Turn one validated TSV row (line ``line_no`` of ``path``) into a data info."""
        path = path or self.ann_file
        label_name = row[self.label_column]
        if label_name not in class_to_idx:
            raise ValueError(f'{path}:{line_no}: label {label_name!r} in column '
                             f'{self.label_column!r} is not a {self.task} class '
                             f'{tuple(class_to_idx)}')
        # The image column comes from a file: its path must stay under the image folder.
        img_path = resolve_inside(self.data_prefix['img_path'], row['image'],
                                  source=path, line=line_no)
        if self.check_files and not osp.isfile(img_path):
            raise FileNotFoundError(f'{path}:{line_no}: image not found: {img_path}')
        return dict(
            img_path=img_path,
            text=row['tweet_text'],
            gt_label=class_to_idx[label_name],
            tweet_id=row['tweet_id'],
            image_id=row['image_id'],
            event_name=row.get('event_name', ''))

    def diagnose_sample(self, info: dict) -> list[str]:
        """Problems of the pair's image (see :func:`image_file_problems`)."""
        return image_file_problems(info['img_path'])

    def sample_key(self, info: dict) -> str:
        """``<tweet_id>/<image_id>`` of the pair."""
        return f'{info["tweet_id"]}/{info["image_id"]}'

    def extra_repr(self) -> list[str]:
        """Lines added to ``repr(dataset)``."""
        return [f'Task: {self.task} ({self.split_set} split set, {self.split})',
                f'Label column: {self.label_column}']
