"""CrisisMMD-V2 under MST-Distill's protocol: the 8-class humanitarian task, their sample order.

MST-Distill's CMMD-V2 data are the rows of the humanitarian TSVs of
``crisismmd_datasplit_all`` concatenated, one sample per tweet (the first row of a tweet with
several images is kept), in the order their preprocessing listed the files: the directory walk
of the Windows drive they worked on, i.e. alphabetical: ``dev``, ``test``, ``train``. Position
``p`` of their index file (``CMMD-V2_indices.csv``, :mod:`fdkd_mm.datasets.mst_split`) is the
``p``-th tweet of that concatenation (16,058 tweets for the released files), cut 60 / 20 / 20.
Their class numbering is not alphabetical (:data:`MST_HUMANITARIAN_CLASSES`); labels come from
the ``label`` column, as theirs. They train on pre-extracted features (BERTweet on normalised
tweets, ResNet-50 on images); here the pipeline reads the raw tweet and image, as
:class:`~fdkd_mm.datasets.crisismmd.CrisisMMDDataset` does.
"""
import os.path as osp
from typing import Optional, Sequence

from fdkd_mm.datasets.crisismmd import CrisisMMDDataset, default_ann_file
from fdkd_mm.datasets.mst_split import SPLITS, read_index_rows, split_of
from fdkd_mm.datasets.safe_paths import resolve_inside
from fdkd_mm.errors import DataError
from fdkd_mm.registry import DATASETS

#: Their class indices 0-7 (``preprocess_CrisisMMD_1.py``'s category list).
MST_HUMANITARIAN_CLASSES = (
    'not_humanitarian',
    'affected_individuals',
    'infrastructure_and_utility_damage',
    'injured_or_dead_people',
    'missing_or_found_people',
    'rescue_volunteering_or_donation_effort',
    'vehicle_damage',
    'other_relevant_information',
)
#: The benchmark split files in the order their sample positions run through them.
SOURCE_SPLITS = ('dev', 'test', 'train')


@DATASETS.register_module()
class MSTCrisisMMDDataset(CrisisMMDDataset):
    """CrisisMMD v2.0 humanitarian tweets of one split of MST-Distill's protocol, 8 classes.

    Data infos are those of :class:`CrisisMMDDataset` (``text``, ``img_path``, ``gt_label``
    ...), plus ``position`` (the sample's position in their index file).

    Args:
        data_root: The ``CrisisMMD_v2.0`` directory (``crisismmd_datasplit_all`` unzipped).
        split: ``'train'``, ``'val'`` or ``'test'``.
        index_file: Their index CSV, relative to ``data_root``.
        group: The column (their experiment ``k``: ``group_<k>``).
        source_splits: The benchmark TSVs whose tweets are the positions, in order.
        **kwargs: Passed to :class:`CrisisMMDDataset` (``pipeline``, ``test_mode``, ...; not
            ``task``, ``split_set`` or ``ann_file``, which the protocol fixes).

    Raises:
        DataError: The index file leaves the data root, is malformed, does not count the
            tweets of the TSVs, or names a tweet whose image is not on disk (file and line
            named).
    """

    def __init__(self, data_root: str, split: str = 'train',
                 index_file: str = 'CMMD-V2_indices.csv', group: int = 0,
                 source_splits: Sequence[str] = SOURCE_SPLITS,
                 metainfo: Optional[dict] = None, **kwargs) -> None:
        if split not in SPLITS:
            raise DataError(f'MSTCrisisMMDDataset split must be one of {SPLITS}, got {split!r}')
        self.index_file = index_file
        self.group = group
        self.source_splits = tuple(source_splits)
        self.mst_split = split
        self.check_images = kwargs.pop('check_files', True)
        metainfo = dict(metainfo or {})
        metainfo.setdefault('classes', MST_HUMANITARIAN_CLASSES)
        # The TSVs are read without the image check: only the split's tweets are checked, with
        # the index file's line.
        super().__init__(data_root=data_root, split='train', task='humanitarian',
                         split_set='all', ann_file=index_file, check_files=False,
                         metainfo=metainfo, **kwargs)
        self.split = split

    @staticmethod
    def config_ann_file(dataset_cfg: dict) -> str:
        """The file a config of this dataset reads first (for checks made before the dataset
        is built).

        Args:
            dataset_cfg: The dataset's config.

        Returns:
            Its ``index_file``, relative to ``data_root``.
        """
        return dataset_cfg.get('index_file', 'CMMD-V2_indices.csv')

    def tweets(self) -> list[dict]:
        """Their sample positions: the first row of each tweet of the source TSVs, in order."""
        tweets, seen = [], set()
        for source in self.source_splits:
            path = osp.join(self.data_root, default_ann_file('humanitarian', source, 'all'))
            for info in self.read_split_file(path):
                if info['tweet_id'] not in seen:
                    seen.add(info['tweet_id'])
                    tweets.append(dict(info, source=path))
        return tweets

    def load_data_list(self) -> list[dict]:
        """The split's tweets, each checked to have its image on disk."""
        tweets = self.tweets()
        path = resolve_inside(self.data_root, self.index_file, source='index_file')
        rows = read_index_rows(path, self.group, len(tweets))
        if len(rows) != len(tweets):
            raise DataError(f'{path}: group_{self.group} lists {len(rows)} samples, the '
                            f'humanitarian TSVs ({", ".join(self.source_splits)}) hold '
                            f'{len(tweets)} tweets: their sample order is not this data\'s')
        data_list = []
        for position, line in split_of(rows, self.mst_split):
            info = tweets[position]
            if self.check_images and not osp.isfile(info['img_path']):
                raise DataError(f'{path} line {line}: sample {position} (tweet '
                                f'{info["tweet_id"]} of {info["source"]}) is not on disk: '
                                f'image not found: {info["img_path"]}')
            data_list.append(dict(info, position=position))
        return data_list

    def extra_repr(self) -> list[str]:
        """Lines added to ``repr(dataset)``."""
        return [f'MST-Distill split: {self.mst_split} (group_{self.group} of '
                f'{self.index_file})']
