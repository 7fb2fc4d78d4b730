"""CREMA-D: 7,442 clips of 91 actors speaking with one of six emotions.

On-disk layout (the one of the public OGM-GE / PMR / C2KD loaders; ``data_root`` is the
CREMA-D folder)::

    CREMA-D/
      AudioWAV/<clip>.wav              # the dataset's own 16 kHz mono wavs
      Image-01-FPS/<clip>/*.jpg        # frames at 1 fps, e.g. frame_00001.jpg, frame_00002.jpg
      train.csv                        # rows '<clip>,<EMO>', no header, e.g. 1001_DFA_ANG_XX,ANG
      test.csv

``<clip>`` is the CREMA-D file stem ``<actor>_<sentence>_<emotion>_<level>``. The split files
are the ones shipped with OGM-GE (6,698 train / 744 test clips); some repositories keep them in
an ``annotations/`` sub-folder (set ``ann_file`` accordingly).

Labels: ``NEU 0, HAP 1, SAD 2, FEA 3, DIS 4, ANG 5`` — the order of the public loaders'
``class_dict``, so checkpoints and confusion matrices line up with theirs.

Audio as in the public code: load at 22,050 Hz, tile the waveform to fill 3 s, clip to [-1, 1],
STFT with ``n_fft=512``, ``hop_length=353``, Hann window, centred → ``log(|S| + 1e-7)`` of shape
(1, 257, 188).
"""
import csv

from fdkd_mm.registry import DATASETS
from .base import AudioVisualDataset, ClipRow, malformed

CREMAD_CLASSES = ('NEU', 'HAP', 'SAD', 'FEA', 'DIS', 'ANG')


@DATASETS.register_module()
class CremaDDataset(AudioVisualDataset):
    """CREMA-D emotion recognition from audio (speech) and video frames (faces).

    Args:
        ann_file: ``'train.csv'`` or ``'test.csv'`` (relative to ``data_root``).
        data_root: The CREMA-D folder.
        data_prefix: Defaults to ``dict(audio='AudioWAV', visual='Image-01-FPS')``.
        **kwargs: See :class:`~fdkd_mm.datasets.audio_visual.base.AudioVisualDataset`.
    """

    METAINFO = dict(classes=CREMAD_CLASSES)
    BAD_SAMPLE_NAME = 'CREMA-D'
    DEFAULT_PREFIX = dict(audio='AudioWAV', visual='Image-01-FPS')

    def parse_split_file(self, path: str) -> list[ClipRow]:
        """Read the split csv with :func:`read_cremad_split`."""
        return read_cremad_split(path)


def read_cremad_split(path: str) -> list[ClipRow]:
    """Read ``<clip>,<EMO>`` rows (no header; a UTF-8 BOM and blank lines are tolerated).

    Args:
        path: The split csv.

    Returns:
        One row per clip line.

    Raises:
        ValueError: A row does not have exactly two non-empty fields.
    """
    rows = []
    with open(path, encoding='utf-8-sig', newline='') as f:
        for line_no, fields in enumerate(csv.reader(f), start=1):
            if not fields or not ''.join(fields).strip():
                continue
            if len(fields) != 2 or not all(field.strip() for field in fields):
                raise malformed(path, line_no, ','.join(fields), '"<clip>,<EMO>"')
            rows.append(ClipRow(fields[0].strip(), fields[1].strip(), line_no, path))
    return rows
