"""NYU-Depth V2 under MST-Distill's protocol: 41 labels, their random 60 / 20 / 20 split.

MST-Distill reads the 1,449 labelled frames of ``nyu_depth_v2_labeled.mat`` in file order
(positions 0-1448) with the 40-class labels plus 0, and trains 41 outputs with label 0 ignored
by the loss; its index file (``NYU-Depth-V2_indices.csv``, :mod:`fdkd_mm.datasets.mst_split`)
splits the positions. Our converter writes frame ``p`` as sample ``f'{p + 1:04d}'`` under
``train/`` or ``test/`` (the official split), so position ``p`` is found in either folder; a
position whose files are in neither is an error naming the index file and line. Labels are kept
as stored (0 = void, 1..40): ``reduce_zero_label=False`` and 41 classes, ``void`` first.
"""
import os.path as osp
from typing import List

from fdkd_mm.datasets.mst_split import SPLITS, read_index_rows, split_of
from fdkd_mm.datasets.nyu_depth_v2 import NYU40_CLASSES, NYU40_PALETTE, NYUDepthV2Dataset
from fdkd_mm.datasets.safe_paths import resolve_inside
from fdkd_mm.errors import DataError
from fdkd_mm.registry import DATASETS

#: Frames of the labelled NYU-Depth V2 release.
NUM_FRAMES = 1449
#: The official split's folders a frame may be in.
FOLDERS = ('train', 'test')


@DATASETS.register_module()
class MSTNYUDepthV2Dataset(NYUDepthV2Dataset):
    """NYU-Depth V2 frames of one split of MST-Distill's protocol, 41 labels.

    Args:
        data_root: The converted NYU-Depth V2 folder (``train/`` and ``test/``).
        split: ``'train'``, ``'val'`` or ``'test'``.
        index_file: Their index CSV, relative to ``data_root``.
        group: The column (their experiment ``k``: ``group_<k>``).
        num_frames: Frames the index file permutes.
        **kwargs: Passed to :class:`NYUDepthV2Dataset` (``pipeline``, ``test_mode`` ...).

    Raises:
        DataError: The index file leaves the data root, is malformed, or names a frame whose
            files are not on disk (file and line named).
    """

    METAINFO = dict(classes=('void', ) + NYU40_CLASSES,
                    palette=[[0, 0, 0]] + NYU40_PALETTE)

    def __init__(self, data_root: str, split: str = 'train',
                 index_file: str = 'NYU-Depth-V2_indices.csv', group: int = 0,
                 num_frames: int = NUM_FRAMES, **kwargs) -> None:
        if split not in SPLITS:
            raise DataError(f'MSTNYUDepthV2Dataset split must be one of {SPLITS}, got {split!r}')
        self.index_file = index_file
        self.group = group
        self.num_frames = num_frames
        kwargs.setdefault('reduce_zero_label', False)
        super().__init__(data_root=data_root, split=split, ann_file=index_file,
                         data_prefix=dict(img_path='', depth_path='', seg_map_path=''),
                         scene_file='', **kwargs)

    def load_data_list(self) -> List[dict]:
        """The split's frames, each found under ``train/`` or ``test/``."""
        path = resolve_inside(self.data_root, self.index_file, source='index_file')
        rows = split_of(read_index_rows(path, self.group, self.num_frames), self.split)
        data_list = []
        for position, line in rows:
            sample_id = f'{position + 1:04d}'
            paths = None
            for folder in FOLDERS:
                candidate = dict(
                    img_path=osp.join(self.data_root, folder, 'rgb',
                                      sample_id + self.img_suffix),
                    depth_path=osp.join(self.data_root, folder, 'depth',
                                        sample_id + self.depth_suffix),
                    seg_map_path=osp.join(self.data_root, folder, 'labels_40',
                                          sample_id + self.seg_map_suffix))
                if all(osp.isfile(p) for p in candidate.values()):
                    paths = candidate
                    break
            if paths is None:
                raise DataError(f'{path} line {line}: sample {position} (frame {sample_id}) is '
                                f'not on disk: no complete rgb / depth / labels_40 files under '
                                f'{self.data_root}/train or /test')
            data_list.append(dict(**paths, sample_id=sample_id, scene=None,
                                  label_map=self.label_map,
                                  reduce_zero_label=self.reduce_zero_label, seg_fields=[]))
        return data_list
