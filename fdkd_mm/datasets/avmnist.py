"""AV-MNIST: MNIST digits (PCA-degraded images) paired by label with noisy spoken digits.

On-disk layout, that of MultiBench's AV-MNIST download and of
``tools/dataset_converters/avmnist.py`` (``data_root`` is the folder)::

    AV-MNIST/
      image/train_data.npy   (60000, 784) floats: PCA-reconstructed 28 x 28 images
      image/test_data.npy    (10000, 784)
      audio/train_data.npy   (60000, 112, 112) floats: power spectrograms of FSDD + ESC-50 noise
      audio/test_data.npy    (10000, 112, 112)
      train_labels.npy       (60000,) digits 0-9
      test_labels.npy        (10000,)

Splits as MultiBench's loader: ``train`` is the first 55,000 training pairs, ``val`` the last
5,000, ``test`` the 10,000 test pairs (``trainval``: all 60,000). Arrays are read memory-mapped
(``allow_pickle=False``: no code runs from the files). A sample holds ``image`` (1, 28, 28)
and ``audio`` (1, 112, 112) float32 arrays and ``gt_label``.
"""
import os.path as osp
from typing import Optional

import numpy as np
from mmpretrain.datasets import BaseDataset

from fdkd_mm.errors import DataError
from fdkd_mm.registry import DATASETS

AVMNIST_CLASSES = tuple(str(digit) for digit in range(10))
SPLITS = ('train', 'val', 'trainval', 'test')
IMAGE_SHAPE, AUDIO_SHAPE = (1, 28, 28), (1, 112, 112)


@DATASETS.register_module()
class AVMNISTDataset(BaseDataset):
    """AV-MNIST (image, audio) pairs of one split.

    Args:
        data_root: The AV-MNIST folder.
        split: ``'train'``, ``'val'``, ``'trainval'`` or ``'test'``.
        val_size: Training pairs held out at the end for ``val`` (MultiBench: 5,000).
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset` (``pipeline``,
            ``test_mode``, ``metainfo``, ...).

    Raises:
        DataError: A file is missing, or the arrays of a split disagree in length or shape
            (the file is named).
    """

    METAINFO = dict(classes=AVMNIST_CLASSES)

    def __init__(self, data_root: str, split: str = 'train', val_size: int = 5000,
                 **kwargs) -> None:
        if split not in SPLITS:
            raise DataError(f'AVMNISTDataset split must be one of {SPLITS}, got {split!r}')
        self.split = split
        self.val_size = val_size
        self.source = 'test' if split == 'test' else 'train'
        self._arrays: Optional[dict] = None
        super().__init__(ann_file=f'{self.source}_labels.npy', data_root=data_root,
                         data_prefix='', **kwargs)

    def _paths(self) -> dict[str, str]:
        return dict(image=osp.join(self.data_root, 'image', f'{self.source}_data.npy'),
                    audio=osp.join(self.data_root, 'audio', f'{self.source}_data.npy'))

    def arrays(self) -> dict[str, np.ndarray]:
        """The split's image and audio arrays, memory-mapped (opened once per process)."""
        if self._arrays is None:
            self._arrays = {key: np.load(path, mmap_mode='r', allow_pickle=False)
                            for key, path in self._paths().items()}
        return self._arrays

    def load_data_list(self) -> list[dict]:
        """Check the split's files and list its pairs (index and label)."""
        for path in (self.ann_file, *self._paths().values()):
            if not osp.isfile(path):
                raise DataError(f'AV-MNIST file not found: {path} '
                                '(tools/dataset_converters/avmnist.py writes it)')
        labels = np.load(self.ann_file, allow_pickle=False)
        if labels.ndim != 1 or (labels.size and not 0 <= labels.min() <= labels.max() <= 9):
            raise DataError(f'{self.ann_file}: expected digits 0-9 of shape (N,), got shape '
                            f'{labels.shape}')
        arrays = self.arrays()
        expected = dict(image=(784, ), audio=(112, 112))
        for key, array in arrays.items():
            if len(array) != len(labels) or array.shape[1:] not in (
                    expected[key], {'image': (28, 28)}.get(key)):
                raise DataError(f'{self._paths()[key]}: shape {array.shape} does not fit '
                                f'{len(labels)} labels of {self.ann_file} (expected '
                                f'({len(labels)}, {", ".join(map(str, expected[key]))}))')
        if self.split in ('train', 'val') and not 0 < self.val_size < len(labels):
            raise DataError(f'{self.ann_file}: val_size={self.val_size} must be between 0 and '
                            f'the {len(labels)} training pairs')
        indices = range(len(labels))
        if self.split == 'train':
            indices = range(len(labels) - self.val_size)
        elif self.split == 'val':
            indices = range(len(labels) - self.val_size, len(labels))
        return [dict(index=i, gt_label=int(labels[i])) for i in indices]

    def get_data_info(self, idx: int) -> dict:
        """The pair's label and its two arrays, ``image`` (1, 28, 28), ``audio`` (1, 112, 112)."""
        info = super().get_data_info(idx)
        arrays = self.arrays()
        index = info['index']
        info['image'] = np.array(arrays['image'][index], np.float32).reshape(IMAGE_SHAPE)
        info['audio'] = np.array(arrays['audio'][index], np.float32).reshape(AUDIO_SHAPE)
        return info

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state['_arrays'] = None  # each worker maps the files itself
        return state
