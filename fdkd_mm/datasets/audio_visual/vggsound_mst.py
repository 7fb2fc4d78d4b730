"""VGGSound-50k under MST-Distill's protocol: 141 classes, their sample order and split.

MST-Distill's VGGSound-50k is the clips of VGGSound-AVEL50k (CPSP) they could download, listed
one per line in their ``VGGS50k_metadata.txt`` as ``<name>&<label>``: line ``p`` (from 0) is
sample position ``p`` of their index file (``VGGSound-50k_indices.csv``,
:mod:`fdkd_mm.datasets.mst_split`), and ``<label>`` is a class index 0-140. Their preprocessing
numbers the 141 classes by first appearance in the ``category`` column of VGGSound-AVEL50k's
``vggsound-avel50k.csv``; give that file as ``class_file`` to name the classes (without it they
are named by their index). ``<name>`` is their clip file name: the YouTube id at characters
1-11 (as their scripts read it) and the start second after it (``v<ytid>_<start>_<end>...``).
The clip is read from our VGGSound layout
(:class:`~fdkd_mm.datasets.audio_visual.vggsound.VGGSoundDataset`, clip
``<ytid>_<start:06d>``), in the training folders or else the test folders. They train on
pre-extracted per-second audio and frame features; here the pipeline reads wav and frames.
"""
import csv
import os.path as osp
import re
from typing import Optional, Sequence

from fdkd_mm.datasets.mst_split import SPLITS, read_index_rows, split_of
from fdkd_mm.datasets.safe_paths import resolve_inside
from fdkd_mm.errors import DataError
from fdkd_mm.registry import DATASETS
from .vggsound import VGGSoundDataset, vggsound_clip_id

#: Classes of VGGSound-50k (VGGSound-AVEL50k).
NUM_CLASSES = 141
#: Our VGGSound folders a clip may be in (training first).
FOLDERS = (
    dict(audio='train-audios/train-set', visual='train-videos/train-set-img/Image-01-FPS'),
    dict(audio='test-audios/test-set', visual='test-videos/test-set-img/Image-01-FPS'),
)
# '<one character><11-character YouTube id>_<start second>' and anything after.
_NAME = re.compile(r'^.(?P<ytid>[A-Za-z0-9_-]{11})_(?P<start>\d+)(?:_.*)?$')


def read_metadata(path: str) -> list[tuple[str, int, int]]:
    """Their ``VGGS50k_metadata.txt``: one ``<name>&<label>`` per sample position.

    Args:
        path: The file.

    Returns:
        ``(clip_id, label, line)`` per position, ``clip_id`` as ours (``<ytid>_<start:06d>``).

    Raises:
        DataError: The file is missing, a line is not ``<name>&<label>``, the name has no
            YouTube id and start second where theirs have them, or the label is not a class
            index 0-140 (the line is named).
    """
    try:
        f = open(path, encoding='utf-8')
    except OSError as error:
        raise DataError(f'VGGSound-50k metadata file {path}: {error.strerror}') from None
    samples = []
    with f:
        for line_no, line in enumerate(f.read().split('\n'), start=1):
            line = line.strip()
            if not line:
                continue
            name, sep, label = line.rpartition('&')
            match = _NAME.match(name) if sep else None
            if match is None or not label.strip().isdigit():
                raise DataError(f'{path} line {line_no}: {line!r} is not '
                                '"<name>&<label>" with <name> = v<ytid>_<start>_...')
            if int(label) >= NUM_CLASSES:
                raise DataError(f'{path} line {line_no}: label {label} is not a class index '
                                f'0-{NUM_CLASSES - 1}')
            samples.append((vggsound_clip_id(match['ytid'], match['start']), int(label),
                            line_no))
    return samples


def read_class_file(path: str) -> tuple:
    """Class names in their numbering: first appearance in the ``category`` column of
    VGGSound-AVEL50k's ``vggsound-avel50k.csv``.

    Args:
        path: The csv (a header with a ``category`` column).

    Returns:
        The 141 names.

    Raises:
        DataError: The file is missing, has no ``category`` column, or not 141 categories.
    """
    try:
        f = open(path, encoding='utf-8-sig', newline='')
    except OSError as error:
        raise DataError(f'VGGSound-AVEL50k class file {path}: {error.strerror}') from None
    with f:
        reader = csv.reader(f)
        header = [name.strip() for name in next(reader, [])]
        if 'category' not in header:
            raise DataError(f'{path} line 1: no column "category" (columns: '
                            f'{", ".join(header)})')
        where = header.index('category')
        names: dict = {}
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) <= where:
                raise DataError(f'{path} line {line_no}: {len(row)} fields, no category')
            names.setdefault(row[where].strip(), line_no)
    if len(names) != NUM_CLASSES:
        raise DataError(f'{path}: {len(names)} categories, VGGSound-50k has {NUM_CLASSES}')
    return tuple(names)


@DATASETS.register_module()
class MSTVGGSoundDataset(VGGSoundDataset):
    """VGGSound-50k clips of one split of MST-Distill's protocol, 141 classes.

    Data infos are those of :class:`VGGSoundDataset` (``clip_id``, ``audio_path``,
    ``frame_dir``, ``gt_label``, ``label_name``), plus ``position``.

    Args:
        data_root: Our VGGSound folder (training and test folders of :class:`VGGSoundDataset`).
        split: ``'train'``, ``'val'`` or ``'test'``.
        metadata_file: Their ``VGGS50k_metadata.txt``, relative to ``data_root``.
        index_file: Their index CSV, relative to ``data_root``.
        group: The column (their experiment ``k``: ``group_<k>``).
        class_file: VGGSound-AVEL50k's ``vggsound-avel50k.csv``, relative to ``data_root``,
            for the class names; ``None`` names classes by index.
        folders: ``dict(audio=..., visual=...)`` folder pairs a clip is looked for in, in order.
        **kwargs: Passed to :class:`VGGSoundDataset` (``pipeline``, ``test_mode`` ...).

    Raises:
        DataError: A file leaves the data root or is malformed, the index file does not count
            the metadata's samples, or names a clip whose files are not on disk (file and line
            named).
    """

    def __init__(self, data_root: str, split: str = 'train',
                 metadata_file: str = 'VGGS50k_metadata.txt',
                 index_file: str = 'VGGSound-50k_indices.csv', group: int = 0,
                 class_file: Optional[str] = 'vggsound-avel50k.csv',
                 folders: Sequence[dict] = FOLDERS, **kwargs) -> None:
        if split not in SPLITS:
            raise DataError(f'MSTVGGSoundDataset split must be one of {SPLITS}, got {split!r}')
        self.mst_split = split
        self.metadata_file = metadata_file
        self.index_file = index_file
        self.group = group
        self.class_file = class_file
        self.folders = tuple(dict(folder) for folder in folders)
        super().__init__(ann_file=metadata_file, data_root=data_root, **kwargs)

    @staticmethod
    def config_ann_file(dataset_cfg: dict) -> str:
        """The file a config of this dataset reads first (for checks made before the dataset
        is built).

        Args:
            dataset_cfg: The dataset's config.

        Returns:
            Its ``metadata_file``, relative to ``data_root``.
        """
        return dataset_cfg.get('metadata_file', 'VGGS50k_metadata.txt')

    def load_data_list(self) -> list[dict]:
        """The split's clips, each found in the training or the test folders."""
        metadata = resolve_inside(self.data_root, self.metadata_file, source='metadata_file')
        samples = read_metadata(metadata)
        if self.class_file is not None:
            classes = read_class_file(
                resolve_inside(self.data_root, self.class_file, source='class_file'))
        else:
            classes = tuple(str(k) for k in range(NUM_CLASSES))
        self._metainfo['classes'] = classes
        path = resolve_inside(self.data_root, self.index_file, source='index_file')
        rows = read_index_rows(path, self.group, len(samples))
        if len(rows) != len(samples):
            raise DataError(f'{path}: group_{self.group} lists {len(rows)} samples, '
                            f'{metadata} lists {len(samples)}')
        data_list = []
        for position, line in split_of(rows, self.mst_split):
            clip_id, label, meta_line = samples[position]
            info = self._find_clip(clip_id)
            if info is None:
                raise DataError(
                    f'{path} line {line}: sample {position} (clip {clip_id}, {metadata} line '
                    f'{meta_line}) is not on disk: no wav and frame folder under '
                    + ' or '.join(osp.join(self.data_root, f['audio']) for f in self.folders))
            data_list.append(dict(info, gt_label=label, label_name=classes[label],
                                  position=position))
        return data_list

    def _find_clip(self, clip_id: str) -> Optional[dict]:
        """The clip's paths in the first folder pair holding both its wav and its frames."""
        for folder in self.folders:
            audio = resolve_inside(osp.join(self.data_root, folder['audio']),
                                   self.audio_name(clip_id), source=self.metadata_file)
            frames = resolve_inside(osp.join(self.data_root, folder['visual']),
                                    self.frame_dir_name(clip_id), source=self.metadata_file)
            if not self.check_files or (osp.isfile(audio) and osp.isdir(frames)):
                return dict(clip_id=clip_id, audio_path=audio, frame_dir=frames)
        return None

    def extra_repr(self) -> list[str]:
        """Lines added to ``repr(dataset)``."""
        return [f'MST-Distill split: {self.mst_split} (group_{self.group} of '
                f'{self.index_file})']

