"""AV-MNIST under MST-Distill's protocol: their random 60 / 20 / 20 split, per-sample min-max.

MST-Distill concatenates AV-MNIST's training and test arrays (60,000 + 10,000 pairs, in that
order) and splits the 70,000 positions with a column of their index file
(:mod:`fdkd_mm.datasets.mst_split`), instead of MultiBench's fixed split; each image (784
values) and each spectrogram (112 x 112) is min-max scaled to [0, 1] on its own. The arrays are
those of :class:`~fdkd_mm.datasets.avmnist.AVMNISTDataset` (same folder). The index file is a
path relative to the data root, kept inside it (``resolve_inside``).
"""
import os.path as osp
from typing import Optional

import numpy as np
from mmpretrain.datasets import BaseDataset

from fdkd_mm.datasets.avmnist import AUDIO_SHAPE, AVMNISTDataset, IMAGE_SHAPE
from fdkd_mm.datasets.mst_split import SPLITS, read_index_column, split_of
from fdkd_mm.datasets.safe_paths import resolve_inside
from fdkd_mm.errors import DataError
from fdkd_mm.registry import DATASETS

SOURCES = ('train', 'test')


def min_max(x: np.ndarray) -> np.ndarray:
    """``(x - min) / (max - min)`` over the whole array; a constant array becomes zeros
    (MST-Distill's loader would divide by zero there)."""
    low, high = float(x.min()), float(x.max())
    return (x - low) / (high - low) if high > low else np.zeros_like(x)


@DATASETS.register_module()
class MSTAVMNISTDataset(AVMNISTDataset):
    """AV-MNIST pairs of one split of MST-Distill's protocol.

    Args:
        data_root: The AV-MNIST folder (layout of :class:`AVMNISTDataset`).
        split: ``'train'``, ``'val'`` or ``'test'``.
        index_file: Their index CSV, relative to ``data_root``.
        group: The column (their experiment / seed ``k``: ``group_<k>``).
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset`.

    Raises:
        DataError: A file is missing, the arrays disagree, the index file leaves the data root
            or names a pair that is not on disk (file and line named).
    """

    def __init__(self, data_root: str, split: str = 'train',
                 index_file: str = 'AV-MNIST_indices.csv', group: int = 0, **kwargs) -> None:
        if split not in SPLITS:
            raise DataError(f'MSTAVMNISTDataset split must be one of {SPLITS}, got {split!r}')
        self.split = split
        self.index_file = index_file
        self.group = group
        self._arrays: Optional[dict] = None
        self._train_size = 0
        BaseDataset.__init__(self, ann_file='train_labels.npy', data_root=data_root,
                             data_prefix='', **kwargs)

    def _source_paths(self, source: str) -> dict[str, str]:
        return dict(image=osp.join(self.data_root, 'image', f'{source}_data.npy'),
                    audio=osp.join(self.data_root, 'audio', f'{source}_data.npy'),
                    labels=osp.join(self.data_root, f'{source}_labels.npy'))

    def arrays(self) -> dict[str, dict[str, np.ndarray]]:
        """Both sources' arrays, memory-mapped (opened once per process)."""
        if self._arrays is None:
            self._arrays = {source: {key: np.load(path, mmap_mode='r', allow_pickle=False)
                                     for key, path in self._source_paths(source).items()}
                            for source in SOURCES}
        return self._arrays

    def load_data_list(self) -> list[dict]:
        """Check both sources, read the index column, keep the split's pairs."""
        for source in SOURCES:
            for path in self._source_paths(source).values():
                if not osp.isfile(path):
                    raise DataError(f'AV-MNIST file not found: {path} '
                                    '(tools/dataset_converters/avmnist.py writes it)')
        arrays = self.arrays()
        for source in SOURCES:
            labels = arrays[source]['labels']
            for key in ('image', 'audio'):
                if len(arrays[source][key]) != len(labels):
                    raise DataError(f'{self._source_paths(source)[key]}: '
                                    f'{len(arrays[source][key])} rows for {len(labels)} labels '
                                    f'of {self._source_paths(source)["labels"]}')
        self._train_size = len(arrays['train']['labels'])
        total = self._train_size + len(arrays['test']['labels'])
        path = resolve_inside(self.data_root, self.index_file, source='index_file')
        column = read_index_column(path, self.group, total)
        if len(column) != total:
            raise DataError(f'{path}: group_{self.group} lists {len(column)} pairs, the data '
                            f'holds {total} (train + test)')
        return [dict(index=i, gt_label=int(self._locate(i, 'labels')))
                for i in split_of(column, self.split)]

    def _locate(self, index: int, key: str):
        arrays = self.arrays()
        if index < self._train_size:
            return arrays['train'][key][index]
        return arrays['test'][key][index - self._train_size]

    def get_data_info(self, idx: int) -> dict:
        """The pair's label and its two arrays, each min-max scaled on its own."""
        info = BaseDataset.get_data_info(self, idx)
        index = info['index']
        image = np.array(self._locate(index, 'image'), np.float32)
        audio = np.array(self._locate(index, 'audio'), np.float32)
        info['image'] = min_max(image).reshape(IMAGE_SHAPE)
        info['audio'] = min_max(audio).reshape(AUDIO_SHAPE)
        return info
