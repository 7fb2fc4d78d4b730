"""VGGSound: ten-second YouTube clips (309 classes); the paper uses a 50-class subset.

On-disk layout (the one of the public OGM-GE / C2KD loaders; ``data_root`` is the VGGSound
folder)::

    VGGSound/
      train.csv / test.csv                     # split files, rows '<ytid>,<start>,<label>'
      train-audios/train-set/<ytid>_<start>.wav
      train-videos/train-set-img/Image-01-FPS/<ytid>_<start>.mp4/*.jpg   # frames at 1 fps
      test-audios/test-set/<ytid>_<start>.wav
      test-videos/test-set-img/Image-01-FPS/<ytid>_<start>.mp4/*.jpg

``<start>`` is the clip's start second zero-padded to six digits in file names (``5`` →
``000005``), as in the released VGGSound files; the frame folders keep the video's ``.mp4`` in
their name. The split file may also be the full ``vggsound.csv`` (rows
``<ytid>,<start>,<label>,<train|test>``): pass ``split='train'`` or ``'test'`` to keep one split.
Fields are standard CSV (labels with commas are quoted). The subset is defined by the split
files you give: the paper's 50 classes are those of C2KD's ``train_tiny.csv`` /
``test_tiny.csv`` (in its ``vggsound/datasplit.zip``; 4 columns, 25,835 / 2,500 rows), which
``tools/dataset_converters/vggsound.py`` turns into the 3-column ``train.csv`` / ``test.csv``
read here; OGM-GE reads the full 4-column ``vggsound.csv``.

Real downloads: some clips of every split file are gone from YouTube, so rows whose wav or frame
folder is missing are left out at build time and counted in the log (``missing_files='drop'``,
the default here; ``'error'`` stops with the list of rows instead). ``metainfo=dict(classes=...)``
keeps only the rows of those classes (e.g. a 50-class subset of the full ``vggsound.csv``).

Labels: the class names sorted alphabetically, from the union of ``ann_file`` and
``class_files`` (give both split files so train and test share one index; a 4-column
``vggsound.csv`` holds every split already). The public loaders number classes by first
appearance in the training csv; ``metainfo=dict(classes=...)`` reproduces any order.

Audio as in the public code: 16 kHz, tiled to at least 10 s, a 5 s window (random start in
[0, 5 s] for training), clipped to [-1, 1]; their STFT is ``n_fft=256, hop_length=128``
(129 frequency bins); the configs here use ``n_fft=512`` for the 257 bins the paper states and
keep their ``hop_length=128`` → (1, 257, 626) (both are parameters of ``fdkd_mm.LogSpectrogram``).
"""
import csv
from typing import Optional

from fdkd_mm.registry import DATASETS
from .base import AudioVisualDataset, ClipRow, malformed


@DATASETS.register_module()
class VGGSoundDataset(AudioVisualDataset):
    """VGGSound (subset) sound-source classification from audio and video frames.

    Args:
        ann_file: Split csv (3 columns) or the full ``vggsound.csv`` (4 columns).
        split: Split to keep from a 4-column csv (``'train'`` or ``'test'``); must be ``None``
            for 3-column files, which hold one split each.
        data_prefix: Defaults to the training folders
            ``dict(audio='train-audios/train-set',
            visual='train-videos/train-set-img/Image-01-FPS')``; give the ``test-*`` ones for
            the test split.
        frame_dir_suffix: Defaults to ``'.mp4'`` (frame folders are named after the video).
        missing_files: Defaults to ``'drop'``: rows whose wav or frame folder is missing are
            left out and their number logged; ``'error'`` raises with the list instead.
        **kwargs: See :class:`~fdkd_mm.datasets.audio_visual.base.AudioVisualDataset`.
    """

    DEFAULT_PREFIX = dict(
        audio='train-audios/train-set', visual='train-videos/train-set-img/Image-01-FPS')
    # Each user fetches the clips from YouTube, and some are always gone: rows without files
    # are left out and counted (missing_files='error' lists them and stops instead).
    DEFAULT_MISSING_FILES = 'drop'
    BAD_SAMPLE_NAME = 'VGGSound'

    def __init__(self, ann_file: str, split: Optional[str] = None,
                 frame_dir_suffix: str = '.mp4', **kwargs) -> None:
        self.split = split
        super().__init__(ann_file=ann_file, frame_dir_suffix=frame_dir_suffix, **kwargs)

    def parse_split_file(self, path: str) -> list[ClipRow]:
        """Read the csv with :func:`read_vggsound_csv`; check ``split`` against ``ann_file``."""
        rows, width = read_vggsound_csv(path)
        if path == self.ann_file:
            self._check_split_arg(path, width)
        return rows

    def _check_split_arg(self, path: str, width: Optional[int]) -> None:
        """A 4-column file needs ``split``; a 3-column file must not get one."""
        if width == 4 and self.split is None:
            raise ValueError(f'{path} lists every split (4 columns); pass split="train" or '
                             '"test" to VGGSoundDataset')
        if width == 3 and self.split is not None:
            raise ValueError(f'{path} has no split column; split={self.split!r} cannot filter it')

    def keep_row(self, row: ClipRow) -> bool:
        """Keep every row of a one-split file, else the rows of ``split``."""
        return self.split is None or row.split == self.split


def read_vggsound_csv(path: str) -> tuple[list[ClipRow], Optional[int]]:
    """Read ``<ytid>,<start>,<label>[,<split>]`` rows.

    Args:
        path: The split csv.

    Returns:
        ``(rows, width)``: one row per clip line, with clip id ``<ytid>_<start:06d>``, and
        the number of columns (3 or 4; ``None`` for an empty file).

    Raises:
        ValueError: A row has not 3 or 4 fields, an empty id or label, a non-integer
            start, or a different field count than the file's first row.
    """
    expected = '"<ytid>,<start>,<label>" or "<ytid>,<start>,<label>,<split>"'
    rows, width = [], None
    with open(path, encoding='utf-8-sig', newline='') as f:
        for line_no, fields in enumerate(csv.reader(f), start=1):
            if not fields or not ''.join(fields).strip():
                continue
            fields = [field.strip() for field in fields]
            width = width or len(fields)
            if (len(fields) not in (3, 4) or len(fields) != width or not fields[0]
                    or not fields[1].isdigit() or not fields[2]):
                raise malformed(path, line_no, ','.join(fields), expected)
            clip_id = vggsound_clip_id(fields[0], fields[1])
            split = fields[3] if len(fields) == 4 else None
            rows.append(ClipRow(clip_id, fields[2], line_no, path, split))
    return rows, width


def vggsound_clip_id(ytid: str, start) -> str:
    """``<ytid>_<start:06d>``, the name of a clip's files (``('abc', 5)`` → ``'abc_000005'``)."""
    return f'{ytid}_{int(start):06d}'
