"""Shared loading logic of the audio-visual classification datasets (CREMA-D, AVE, VGGSound).

All three read the layout of the public audio-visual learning code (OGM-GE, PMR, MMPareto, C2KD):
a split file lists clips with their class, every clip has one audio file (a wav, or for AVE a
precomputed spectrogram) named after the clip, and one folder of JPEG frames extracted at 1 fps.
A data info holds paths only; the pipeline (``fdkd_mm.datasets.transforms``) loads and
transforms both modalities, so each sample carries the audio and the frames of the same clip.
"""
import os.path as osp
from collections import Counter
from typing import List, NamedTuple, Optional, Sequence

from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

from fdkd_mm.datasets.bad_samples import SkipBadSamplesMixin
from fdkd_mm.datasets.safe_paths import resolve_inside
from fdkd_mm.errors import DataError, MissingDataError
from .file_checks import audio_file_problems, frame_dir_problems

MISSING_FILES_POLICIES = ('error', 'drop')
#: Rows named in a "missing files" message; the rest are counted.
MAX_LISTED = 20


class ClipRow(NamedTuple):
    """One parsed row of a split file.

    Attributes:
        clip_id: Clip name; audio file and frame folder are named after it.
        class_name: Class name as written in the split file.
        line_no: 1-based line of the row in ``source`` (for error messages).
        source: Path of the split file the row came from.
        split: Split column of the row, for files that hold every split (else ``None``).
    """
    clip_id: str
    class_name: str
    line_no: int
    source: str
    split: Optional[str] = None


class AudioVisualDataset(SkipBadSamplesMixin, BaseDataset):
    """A split file of clips → data infos with the audio path, the frame folder and the label.

    Every data info holds ``clip_id``, ``audio_path``, ``frame_dir`` (folder of the clip's
    frames; :class:`~fdkd_mm.datasets.transforms.SampleFrames` lists it), ``gt_label`` (class
    index) and ``label_name``. Subclasses say how to read their split file
    (:meth:`parse_split_file`) and may turn a clip id into file names differently.

    Args:
        ann_file: Split file, relative to ``data_root`` or absolute.
        data_root: Dataset root.
        data_prefix: ``dict(audio=..., visual=...)``: folders of the audio files and of the
            frame folders, relative to ``data_root``; missing keys take the subclass default.
        audio_suffix: Suffix of the audio file of a clip (``'.wav'``; ``'.pkl'`` or ``'.npy'``
            for precomputed spectrograms).
        frame_dir_suffix: Suffix of a clip's frame folder name (the public VGGSound frames
            live in folders named ``<clip>.mp4``).
        class_files: Further split files, relative to ``data_root``, whose classes together
            with ``ann_file``'s define the class list when ``metainfo`` gives none, so that an
            index means the same class in every split. Missing files are ignored.
        check_files: Verify at load time that every clip's audio file and frame folder exist,
            so a missing file is found at start-up with its split-file row, not mid-epoch.
        missing_files: What ``check_files`` does with clips whose files are missing:
            ``'error'`` raises ``FileNotFoundError`` listing them (with their split-file rows),
            ``'drop'`` leaves them out and logs how many. ``None`` takes the subclass default
            (``'drop'`` for VGGSound, whose clips are fetched from YouTube by each user and
            never all available; ``'error'`` for the others).
        metainfo: ``dict(classes=...)`` fixes the class order; otherwise it is fixed by the
            subclass or inferred (sorted class names). Classes given here are also a subset:
            rows of other classes are left out (and counted in the log) instead of failing.
        skip_bad_samples: Replace a sample whose audio or frames turn out unreadable while
            training (truncated wav or JPEG, corrupt pickle) by the next good one, log it and
            mark the replacement for ``BadSampleReportHook``. Defaults to False: the first bad
            sample stops training with an error naming its files.
        max_consecutive_bad: With ``skip_bad_samples``, how many bad samples in a row are
            tolerated before giving up.
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset` (``pipeline``,
            ``test_mode``, ``indices``, ...).
    """

    DEFAULT_PREFIX: dict = dict(audio='', visual='')
    DEFAULT_AUDIO_SUFFIX = '.wav'
    DEFAULT_MISSING_FILES = 'error'

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: Optional[dict] = None,
                 audio_suffix: Optional[str] = None,
                 frame_dir_suffix: str = '',
                 class_files: Sequence[str] = (),
                 check_files: bool = True,
                 missing_files: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 skip_bad_samples: bool = False,
                 max_consecutive_bad: int = 10,
                 **kwargs) -> None:
        prefix = dict(self.DEFAULT_PREFIX)
        prefix.update(data_prefix or {})
        unknown = set(prefix) - {'audio', 'visual'}
        if unknown:
            raise ValueError(
                f'data_prefix takes the keys "audio" and "visual", got {sorted(unknown)}')
        self.audio_suffix = self.DEFAULT_AUDIO_SUFFIX if audio_suffix is None else audio_suffix
        self.frame_dir_suffix = frame_dir_suffix
        self.class_files = tuple(class_files)
        self.check_files = check_files
        self.missing_files = missing_files or self.DEFAULT_MISSING_FILES
        if self.missing_files not in MISSING_FILES_POLICIES:
            raise ValueError(f'missing_files must be one of {MISSING_FILES_POLICIES}, got '
                             f'{missing_files!r}')
        # Classes the user names are a subset to keep; a class list of the dataset's own (or
        # inferred) must cover every row, so an unknown class there is an error.
        self.class_subset = metainfo is not None and metainfo.get('classes') is not None
        self.init_bad_sample_handling(skip_bad_samples, max_consecutive_bad)
        super().__init__(
            ann_file=ann_file, data_root=data_root, data_prefix=prefix, metainfo=metainfo,
            **kwargs)

    # ------------------------------------------------------------------ to override
    def parse_split_file(self, path: str) -> list[ClipRow]:
        """Parse one split file into rows, raising on a malformed row.

        Args:
            path: The split file.

        Returns:
            All rows of the file, in file order (no split filtering).
        """
        raise NotImplementedError

    def keep_row(self, row: ClipRow) -> bool:
        """Whether ``row`` of ``ann_file`` belongs to this dataset (files listing all splits)."""
        return True

    def audio_name(self, clip_id: str) -> str:
        """File name of a clip's audio."""
        return clip_id + self.audio_suffix

    def frame_dir_name(self, clip_id: str) -> str:
        """Folder name of a clip's frames."""
        return clip_id + self.frame_dir_suffix

    # ------------------------------------------------------------------ shared logic
    def load_data_list(self) -> list[dict]:
        """Parse ``ann_file`` into data infos, validating rows, labels and files.

        Returns:
            One dict per clip kept.

        Raises:
            FileNotFoundError: The split file does not exist; with ``missing_files='error'``,
                clips' audio files or frame folders do not exist (the message lists them with
                their split-file rows); with ``'drop'``, no clip has its files.
            ValueError: A row is malformed or names a class outside the dataset's classes.
        """
        if not osp.isfile(self.ann_file):
            raise MissingDataError(f'{type(self).__name__} split file not found: {self.ann_file}')
        parsed = self.parse_split_file(self.ann_file)
        if not parsed:
            raise DataError(f'{type(self).__name__} split file {self.ann_file} lists no clip')
        rows = [row for row in parsed if self.keep_row(row)]
        classes = self._metainfo.get('classes')
        if classes is None:
            classes = self._infer_classes(rows)
            self._metainfo['classes'] = classes
        class_to_idx = {name: idx for idx, name in enumerate(classes)}

        data_list, seen, outside, missing = [], set(), Counter(), []
        for row in rows:
            if row.clip_id in seen:
                # AVE lists a few videos twice; like the public loaders, keep the first row so
                # each clip is one sample.
                continue
            seen.add(row.clip_id)
            if row.class_name not in class_to_idx and self.class_subset:
                outside[row.class_name] += 1
                continue
            info = self._data_info(row, class_to_idx)
            absent = self._absent_files(row, info) if self.check_files else []
            if absent:
                missing.append(absent)
                continue
            data_list.append(info)
        self._log_filtered(len(rows) - len(seen), outside, data_list, class_to_idx)
        if missing:
            self._handle_missing(missing, len(seen) - sum(outside.values()), data_list)
        return data_list

    def _infer_classes(self, rows: list[ClipRow]) -> tuple:
        """Sorted class names of ``rows`` and of the existing ``class_files``."""
        names = {row.class_name for row in rows}
        for name in self.class_files:
            path = name if osp.isabs(name) else osp.join(self.data_root, name)
            if osp.isfile(path) and osp.abspath(path) != osp.abspath(self.ann_file):
                names.update(row.class_name for row in self.parse_split_file(path))
        return tuple(sorted(names))

    def _data_info(self, row: ClipRow, class_to_idx: dict) -> dict:
        """Turn one row into a data info, checking its label."""
        if row.class_name not in class_to_idx:
            raise ValueError(f'{row.source}:{row.line_no}: class {row.class_name!r} of clip '
                             f'{row.clip_id!r} is not one of the {len(class_to_idx)} classes '
                             f'{tuple(class_to_idx)}')
        return dict(
            clip_id=row.clip_id,
            # Clip ids come from a file: each path must stay under its folder.
            audio_path=resolve_inside(self.data_prefix['audio'], self.audio_name(row.clip_id),
                                      source=row.source, line=row.line_no),
            frame_dir=resolve_inside(self.data_prefix['visual'],
                                     self.frame_dir_name(row.clip_id), source=row.source,
                                     line=row.line_no),
            gt_label=class_to_idx[row.class_name],
            label_name=row.class_name)

    @staticmethod
    def _absent_files(row: ClipRow, info: dict) -> str:
        """A message naming the row and its missing files, or ``''`` when both exist."""
        where = f'{row.source}:{row.line_no}'
        absent = []
        if not osp.isfile(info['audio_path']):
            absent.append(f'audio file of clip {row.clip_id!r} not found: {info["audio_path"]}')
        if not osp.isdir(info['frame_dir']):
            absent.append(f'frame folder of clip {row.clip_id!r} not found: {info["frame_dir"]}')
        return f'{where}: ' + '; '.join(absent) if absent else ''

    def _log_filtered(self, repeated: int, outside: Counter, data_list: list,
                      class_to_idx: dict) -> None:
        """Log repeated rows, rows outside a class subset and subset classes without rows."""
        logger = MMLogger.get_current_instance()
        if repeated:
            logger.warning(f'{self.ann_file}: {repeated} repeated clip rows ignored '
                           '(first row kept)')
        if outside:
            logger.info(f'{self.ann_file}: {sum(outside.values())} rows of '
                        f'{len(outside)} classes outside the {len(class_to_idx)} classes of '
                        'metainfo left out')
        if self.class_subset:
            present = {info['label_name'] for info in data_list}
            empty = [name for name in class_to_idx if name not in present]
            if empty:
                logger.warning(f'{self.ann_file}: no clip of the metainfo classes {empty} '
                               '(misspelt, or absent from this split?)')

    def _handle_missing(self, missing: List[str], listed: int, data_list: list) -> None:
        """Apply ``missing_files`` to the rows whose files are missing."""
        head = (f'{type(self).__name__}: {len(missing)} of {listed} clips in {self.ann_file} '
                'have missing files')
        shown = '\n  '.join(missing[:MAX_LISTED])
        more = f'\n  ... and {len(missing) - MAX_LISTED} more' if len(missing) > MAX_LISTED else ''
        if self.missing_files == 'error':
            raise FileNotFoundError(f'{head} (missing_files="drop" leaves them out):\n  '
                                    f'{shown}{more}')
        if not data_list:
            raise FileNotFoundError(f'{head}: none is left. Check data_root / data_prefix:\n  '
                                    f'{shown}{more}')
        MMLogger.get_current_instance().warning(f'{head}; left out:\n  {shown}{more}')

    # ------------------------------------------------------------------ bad samples
    def diagnose_sample(self, info: dict) -> List[str]:
        """Problems of the clip's audio file and frame folder (missing, unreadable, empty)."""
        return audio_file_problems(info['audio_path']) + frame_dir_problems(info['frame_dir'])

    def sample_key(self, info: dict) -> str:
        """The clip id."""
        return info['clip_id']

    def extra_repr(self) -> list[str]:
        """Lines added to ``repr(dataset)`` (mmpretrain's default assumes an image prefix)."""
        return [f'Split file: \t{self.ann_file}',
                f'Audio: \t{self.data_prefix["audio"]}/<clip>{self.audio_suffix}',
                f'Frames: \t{self.data_prefix["visual"]}/<clip>{self.frame_dir_suffix}/']


def malformed(source: str, line_no: int, line: str, expected: str) -> ValueError:
    """The error for a split-file row that does not have the expected form.

    Args:
        source: Split file path.
        line_no: 1-based line number.
        line: The offending row as read.
        expected: Human-readable form of a good row.

    Returns:
        A ``ValueError`` naming file, line, row and expected form.
    """
    return ValueError(f'{source}:{line_no}: malformed row {line!r}; expected {expected}')
