"""NYU-Depth V2 semantic segmentation (40 classes) with aligned RGB and depth."""
import colorsys
import os.path as osp
from typing import List, Optional

import cv2
import mmengine
import numpy as np
from mmseg.datasets import BaseSegDataset

from fdkd_mm.datasets.safe_paths import resolve_inside
from fdkd_mm.errors import DataError, MissingDataError
from fdkd_mm.registry import DATASETS
from .bad_samples import BadSampleError, SkipBadSamplesMixin

#: The 40 classes of Gupta et al.'s NYU-40 mapping, in label order 1..40 (stored 0..39 after
#: ``reduce_zero_label``). Spelling follows ``classMapping40.mat`` ('refridgerator').
NYU40_CLASSES = (
    'wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window', 'bookshelf',
    'picture', 'counter', 'blinds', 'desk', 'shelves', 'curtain', 'dresser', 'pillow', 'mirror',
    'floor mat', 'clothes', 'ceiling', 'books', 'refridgerator', 'television', 'paper', 'towel',
    'shower curtain', 'box', 'whiteboard', 'person', 'night stand', 'toilet', 'sink', 'lamp',
    'bathtub', 'bag', 'otherstructure', 'otherfurniture', 'otherprop')


def _distinct_palette(num_colors: int) -> List[List[int]]:
    """Colours with golden-ratio spaced hues, alternating brightness so neighbours differ."""
    palette = []
    for index in range(num_colors):
        hue = (index * 0.618033988749895) % 1.0
        value = (0.95, 0.7, 0.5)[index % 3]
        red, green, blue = colorsys.hsv_to_rgb(hue, 0.75, value)
        palette.append([round(red * 255), round(green * 255), round(blue * 255)])
    return palette


NYU40_PALETTE = _distinct_palette(len(NYU40_CLASSES))

#: What each file of a sample must decode to: (description, allowed dtypes, allowed ndim).
_FILE_SPECS = {
    'img_path': ('RGB image', (np.uint8,), (2, 3)),
    'depth_path': ('depth map (single-channel uint16 PNG, millimetres)', (np.uint16,), (2,)),
    'seg_map_path': ('label map (single-channel uint8 PNG, 0 = void, 1..40)', (np.uint8,), (2,)),
}


def diagnose_files(info: dict) -> List[str]:
    """Check every file of a data info: present, decodable, expected dtype and rank.

    Args:
        info: Data info with ``img_path``, ``depth_path`` and ``seg_map_path``.

    Returns:
        One message per problem, each naming the file; empty when the files look fine.
    """
    problems = []
    for key, (what, dtypes, ndims) in _FILE_SPECS.items():
        path = info.get(key)
        if path is None:
            continue
        if not osp.isfile(path):
            problems.append(f'{path}: missing ({what})')
            continue
        raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if raw is None:
            problems.append(f'{path}: cannot be decoded, truncated or not an image ({what})')
        elif raw.dtype not in dtypes or raw.ndim not in ndims:
            problems.append(f'{path}: dtype {raw.dtype}, shape {raw.shape}; expected a {what}')
    return problems


HOW_TO_MAKE = (
    'Make it from the official files with\n'
    '  python tools/dataset_converters/nyu_depth_v2.py nyu_depth_v2_labeled.mat splits.mat '
    'classMapping40.mat {root}\n'
    'or try the pipeline on a small synthetic copy written by `python tools/demo.py`.')


@DATASETS.register_module()
class NYUDepthV2Dataset(SkipBadSamplesMixin, BaseSegDataset):
    """NYU-Depth V2 labelled set: RGB, depth and 40-class labels (795 train / 654 test).

    Layout under ``data_root`` (written by ``tools/dataset_converters/nyu_depth_v2.py``)::

        train.txt, test.txt              sample ids, one per line
        scenes.txt                       optional: '<id> <scene>' per line (e.g.
                                         '0001 bedroom_0050'), the room of each frame
        {train,test}/rgb/<id>.png        8-bit colour image
        {train,test}/depth/<id>.png      uint16, depth in millimetres
        {train,test}/labels_40/<id>.png  uint8, 0 = void, 1..40 = classes

    Labels are read by mmseg's ``LoadAnnotations``; ``reduce_zero_label=True`` turns void into
    255 (the ignore index) and classes 1..40 into 0..39. Every data info carries ``img_path``,
    ``depth_path`` (read by ``LoadDepthFromFile``) and ``seg_map_path``, and ``scene`` when the
    data root has a scene file (``None`` otherwise): frames of one room share it, which is what
    :class:`~fdkd_mm.datasets.DisjointPartDataset` splits by (``group_by='scene'``).

    Args:
        data_root: Dataset root directory.
        split: ``'train'`` or ``'test'``; picks the default split file and directories.
        ann_file: Split file, relative to ``data_root``. Defaults to ``<split>.txt``.
        data_prefix: Directories of ``img_path``, ``depth_path`` and ``seg_map_path``.
            Defaults to ``<split>/rgb``, ``<split>/depth`` and ``<split>/labels_40``.
        img_suffix: Suffix of RGB files.
        depth_suffix: Suffix of depth files.
        seg_map_suffix: Suffix of label files.
        reduce_zero_label: Map void (0) to 255 and shift classes down by one.
        scene_file: File of ``<id> <scene>`` lines, relative to ``data_root``, read when it
            exists (the converter writes ``scenes.txt`` from the official ``scenes`` field).
        skip_bad_samples: Replace a sample whose files are missing, undecodable or invalid
            (:class:`BadSampleError`) by the next good one instead of failing, log it, and mark
            the replacement's data sample (``metainfo['bad_samples_replaced']``) so that
            ``BadSampleReportHook`` counts it per epoch, also from dataloader workers.
            Defaults to False: the first bad sample stops training with the error.
        max_consecutive_bad: With ``skip_bad_samples``, how many bad samples in a row are
            tolerated before giving up (a broken pipeline is not a bad sample).
        **kwargs: Other arguments of mmseg's ``BaseSegDataset`` (``pipeline``,
            ``test_mode``, ``indices``, ...).
    """

    METAINFO = dict(classes=NYU40_CLASSES, palette=NYU40_PALETTE)
    BAD_SAMPLE_NAME = 'NYU-Depth V2'

    def __init__(self, data_root: Optional[str] = None, split: str = 'train',
                 ann_file: Optional[str] = None, data_prefix: Optional[dict] = None,
                 img_suffix: str = '.png', depth_suffix: str = '.png',
                 seg_map_suffix: str = '.png', reduce_zero_label: bool = True,
                 scene_file: str = 'scenes.txt',
                 skip_bad_samples: bool = False, max_consecutive_bad: int = 10,
                 **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(img_path=f'{split}/rgb', depth_path=f'{split}/depth',
                               seg_map_path=f'{split}/labels_40')
        if 'depth_path' not in data_prefix:
            raise ValueError(f'data_prefix needs a depth_path entry, got {data_prefix}')
        self.split = split
        self.depth_suffix = depth_suffix
        self.scene_file = scene_file
        self.init_bad_sample_handling(skip_bad_samples, max_consecutive_bad)
        super().__init__(
            ann_file=f'{split}.txt' if ann_file is None else ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_root=data_root,
            data_prefix=data_prefix,
            reduce_zero_label=reduce_zero_label,
            **kwargs)

    @staticmethod
    def config_ann_file(dataset_cfg: dict) -> str:
        """The split file a config of this dataset reads, relative to its ``data_root``
        (for checks made before the dataset is built).

        Args:
            dataset_cfg: The dataset's config.

        Returns:
            ``ann_file``, else ``<split>.txt``.
        """
        ann_file = dataset_cfg.get('ann_file')
        return f"{dataset_cfg.get('split', 'train')}.txt" if ann_file is None else ann_file

    def load_data_list(self) -> List[dict]:
        """Read the split file and check that every listed sample is on disk.

        Returns:
            One data info per sample id, in split-file order.

        Raises:
            FileNotFoundError: The data root, the split file or a listed file is missing.
            ValueError: The split file lists no sample (a ``DataError``), or a sample id leads
                outside the data root.
        """
        # Existence checks only make sense on the local disk; other backends fail on read.
        local = self.backend_args is None
        if local and self.data_root is not None and not osp.isdir(self.data_root):
            raise MissingDataError(f'NYU-Depth V2 data root {self.data_root} does not exist. '
                                    + HOW_TO_MAKE.format(root=self.data_root))
        if local and not osp.isfile(self.ann_file):
            raise MissingDataError(f'NYU-Depth V2 split file {self.ann_file} does not exist. '
                                    + HOW_TO_MAKE.format(root=self.data_root or '<root>'))
        numbered = [(line_no, line.strip()) for line_no, line in enumerate(
            mmengine.list_from_file(self.ann_file, backend_args=self.backend_args), start=1)]
        numbered = [(line_no, sample_id) for line_no, sample_id in numbered if sample_id]
        sample_ids = [sample_id for _, sample_id in numbered]
        if not sample_ids:
            raise DataError(f'NYU-Depth V2 split file {self.ann_file} lists no sample ids')

        scenes = self._read_scenes(sample_ids) if local else {}
        data_list = []
        for line_no, sample_id in numbered:
            # Sample ids come from a file: each path must stay under its folder.
            paths = {key: resolve_inside(self.data_prefix[key], sample_id + suffix,
                                         source=self.ann_file, line=line_no)
                     for key, suffix in (('img_path', self.img_suffix),
                                         ('depth_path', self.depth_suffix),
                                         ('seg_map_path', self.seg_map_suffix))}
            if local:
                for path in paths.values():
                    if not osp.isfile(path):
                        raise MissingDataError(f'{path} (listed in {self.ann_file} as '
                                               f'{sample_id!r}) does not exist')
            data_list.append(dict(**paths, sample_id=sample_id, scene=scenes.get(sample_id),
                                  label_map=self.label_map,
                                  reduce_zero_label=self.reduce_zero_label, seg_fields=[]))
        return data_list

    def _read_scenes(self, sample_ids: List[str]) -> dict:
        """Sample id -> scene from the scene file; ``{}`` without one.

        Raises:
            ValueError: A line is not ``<id> <scene>``, or a listed sample has no scene.
        """
        if not self.scene_file:
            return {}
        path = osp.join(self.data_root or '', self.scene_file)
        if not osp.isfile(path):
            return {}
        scenes = {}
        with open(path) as f:
            for line_no, line in enumerate(f, start=1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) != 2:
                    raise ValueError(f'{path}:{line_no}: expected "<id> <scene>", got '
                                     f'{line.strip()!r}')
                scenes[fields[0]] = fields[1]
        missing = [sample_id for sample_id in sample_ids if sample_id not in scenes]
        if missing:
            raise ValueError(f'{path} gives no scene for {len(missing)} sample(s) of '
                             f'{self.ann_file}, e.g. {missing[:5]}')
        return scenes

    # ------------------------------------------------------------------ bad-sample handling
    def diagnose_sample(self, info: dict) -> List[str]:
        """Problems of the sample's RGB, depth and label files (see :func:`diagnose_files`)."""
        return diagnose_files(info)

    def sample_key(self, info: dict) -> str:
        """The sample id (``0001`` ...)."""
        return info['sample_id']

    def check_loaded(self, data: dict, info: dict) -> None:
        """Reject label values outside the classes and the ignore index (255).

        Checked on the loaded (reduced) labels, so one cheap pass and no second decode. With
        ``reduce_zero_label`` the stored values 1..40 are classes, 0 is void, and 255 is void
        as well (mmseg maps it to the ignore index); anything else is reported.
        """
        if 'gt_seg_map' in data:
            labels = np.asarray(data['gt_seg_map'])
        elif 'data_samples' in data and 'gt_sem_seg' in data['data_samples']:
            labels = data['data_samples'].gt_sem_seg.data.numpy()
        else:
            return
        num_classes = len(self.metainfo['classes'])
        bad = (labels >= num_classes) & (labels != 255)
        if bad.any():
            values = np.unique(labels[bad])[:8]
            if self.reduce_zero_label:  # report the values as stored in the PNG
                values = values + 1
            raise BadSampleError(
                f'{info["seg_map_path"]}: label values {values.tolist()} outside 0..'
                f'{num_classes if self.reduce_zero_label else num_classes - 1}'
                f'{" (0 = void)" if self.reduce_zero_label else " and 255"}')
