"""AVE (Audio-Visual Event): 4,143 ten-second YouTube videos of 28 event classes.

On-disk layout (the one of the public OGM-GE / PMR / C2KD loaders; ``data_root`` is the
``AVE_Dataset`` folder)::

    AVE_Dataset/
      trainSet.txt / valSet.txt / testSet.txt   # rows 'Category&VideoID&Quality&Start&End',
                                                # e.g. 'Church bell&RUhOCu3LNXM&good&0&10'
      Audio-1004-SE/<VideoID>.pkl               # precomputed spectrogram (257, 1004), float
                                                # (.npy as tools/dataset_converters/ave.py writes)
      Image-01-FPS-SE/<VideoID>/*.jpg           # frames at 1 fps, frame_00001.jpg ...

The audio is either the precomputed spectrogram (by default a clip's ``.npy``, as the converter
writes, else its public ``.pkl``; ``audio_suffix`` fixes one), or a wav per video
(``audio_suffix='.wav'`` with ``data_prefix=dict(audio=...)`` pointing at the wav folder), which
the pipeline turns into a spectrogram itself. ``.pkl`` files are read by a restricted unpickler
that builds numpy arrays only (``fdkd_mm.LoadSpectrogram``): a pickle carrying code is refused.

The public ``Audio-1004-SE`` pickles were made by OGM-GE's ``obtain_audio_spectrogram.py``:
librosa-load at 22,050 Hz, tile to 160,000 samples, clip to [-1, 1],
``scipy.signal.spectrogram(nperseg=512, noverlap=353)`` (hop 159, Tukey(0.25) window, power
density), ``log(S + 1e-7)``, standardised per clip → (257, 1004). C2KD then ``np.resize``\\ s it
to (257, 1024); ``np.resize`` refills the flattened array row-major, so output row ``i``
starts at input offset ``1024·i`` and the frequency rows drift by 20 columns per row (output
row 250 holds mostly input row 255). ``fdkd_mm.LoadSpectrogram(num_frames=1024)`` repeats along
time within each row instead.

Labels: the 28 category names, sorted alphabetically, taken from the union of the split files
(``trainSet.txt``, ``valSet.txt``, ``testSet.txt`` under ``data_root``), so an index means the
same class in every split. (The public loaders number the classes in order of first appearance
in ``testSet.txt``; pass ``metainfo=dict(classes=...)`` to reproduce any other order.) A video
listed twice in a split file is kept once (its first row), as in C2KD's loader.
"""
import os.path as osp

from fdkd_mm.registry import DATASETS
from .base import AudioVisualDataset, ClipRow, malformed

AVE_SPLIT_FILES = ('trainSet.txt', 'valSet.txt', 'testSet.txt')


@DATASETS.register_module()
class AVEDataset(AudioVisualDataset):
    """AVE event classification from audio and video frames.

    Args:
        ann_file: ``'trainSet.txt'``, ``'valSet.txt'`` or ``'testSet.txt'``.
        data_root: The ``AVE_Dataset`` folder.
        data_prefix: Defaults to ``dict(audio='Audio-1004-SE', visual='Image-01-FPS-SE')``.
        audio_suffix: ``'.pkl'``, ``'.npy'`` or ``'.wav'``; by default a clip's ``.npy`` when
            it exists, else its ``.pkl``.
        class_files: Split files defining the class list; defaults to all three.
        **kwargs: See :class:`~fdkd_mm.datasets.audio_visual.base.AudioVisualDataset`.
    """

    DEFAULT_PREFIX = dict(audio='Audio-1004-SE', visual='Image-01-FPS-SE')
    DEFAULT_AUDIO_SUFFIX = '.pkl'
    BAD_SAMPLE_NAME = 'AVE'

    def __init__(self, ann_file: str, class_files=AVE_SPLIT_FILES, **kwargs) -> None:
        self.npy_first = kwargs.get('audio_suffix') is None
        super().__init__(ann_file=ann_file, class_files=class_files, **kwargs)

    def audio_name(self, clip_id: str) -> str:
        """``<clip>.npy`` if it exists and no suffix was given, else ``<clip><audio_suffix>``."""
        npy = clip_id + '.npy'
        if self.npy_first and osp.isfile(osp.join(self.data_prefix['audio'], npy)):
            return npy
        return super().audio_name(clip_id)

    def parse_split_file(self, path: str) -> list[ClipRow]:
        """Read the split file with :func:`read_ave_split`."""
        return read_ave_split(path)


def read_ave_split(path: str) -> list[ClipRow]:
    """Read ``Category&VideoID&Quality&Start&End`` rows.

    Args:
        path: The split file.

    Returns:
        One row per non-blank line.

    Raises:
        ValueError: A row does not have five ``&``-separated fields, an empty category or
            video id, or non-integer start/end seconds.
    """
    expected = '"Category&VideoID&Quality&Start&End" with integer Start/End'
    rows = []
    with open(path, encoding='utf-8-sig') as f:
        for line_no, line in enumerate(f, start=1):
            line = line.rstrip('\r\n')
            if not line.strip():
                continue
            fields = line.split('&')
            if (len(fields) != 5 or not fields[0].strip() or not fields[1].strip()
                    or not all(field.strip().isdigit() for field in fields[3:])):
                raise malformed(path, line_no, line, expected)
            rows.append(ClipRow(fields[1].strip(), fields[0].strip(), line_no, path))
    return rows
