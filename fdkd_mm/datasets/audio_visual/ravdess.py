"""RAVDESS: the audio-visual speech clips of 24 actors, eight emotions.

The official download holds one zip per actor, ``Video_Speech_Actor_NN.zip``, of ``.mp4`` clips
named by seven two-digit fields ``modality-vocal-emotion-intensity-statement-repetition-actor``
(e.g. ``01-01-06-01-02-01-12.mp4``: full audio-visual, speech, fearful, normal intensity,
statement 2, repetition 1, actor 12). Only modality ``01`` (full AV) has an audio track; the
``02`` (video-only) twins of the same takes are ignored. Each actor has 60 AV speech clips
(1,440 in all).

On-disk layout after ``tools/dataset_converters/ravdess.py`` (``data_root`` is that folder)::

    RAVDESS/
      AudioWAV/<clip>.wav             # 22,050 Hz mono, cropped / zero-padded to 3.6 s
      Frames-15/<clip>/frame_00001.jpg ... frame_00015.jpg   # 15 frames over the first 3.6 s
      train.csv / val.csv / test.csv  # rows '<clip>,<emotion>', e.g. 01-01-06-01-02-01-12,fearful

Labels: the emotion code minus one (``neutral 0, calm 1, happy 2, sad 3, angry 4, fearful 5,
disgust 6, surprised 7``), as the public RAVDESS loaders number them.
"""
import re
from typing import NamedTuple, Optional

from fdkd_mm.registry import DATASETS
from .base import AudioVisualDataset, ClipRow
from .cremad import read_cremad_split

RAVDESS_CLASSES = ('neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust',
                   'surprised')
#: Seven two-digit fields; modality 01 full-AV / 02 video-only / 03 audio-only, vocal
#: channel 01 speech / 02 song, emotion 01-08, intensity 01-02, statement 01-02,
#: repetition 01-02, actor 01-24.
CLIP_NAME = re.compile(r'^(?P<modality>0[123])-(?P<vocal>0[12])-(?P<emotion>0[1-8])-'
                       r'(?P<intensity>0[12])-(?P<statement>0[12])-(?P<repetition>0[12])-'
                       r'(?P<actor>\d{2})$')
NUM_ACTORS = 24


class ClipName(NamedTuple):
    """The fields of a RAVDESS file name (as integers)."""
    modality: int
    vocal: int
    emotion: int
    intensity: int
    statement: int
    repetition: int
    actor: int

    @property
    def label_name(self) -> str:
        """The emotion's class name."""
        return RAVDESS_CLASSES[self.emotion - 1]


def parse_clip_name(stem: str) -> Optional[ClipName]:
    """The fields of a RAVDESS file stem, ``None`` if it is not one (actor outside 01-24 too).

    Args:
        stem: File name without extension, e.g. ``'01-01-06-01-02-01-12'``.

    Returns:
        The parsed fields, or ``None``.
    """
    match = CLIP_NAME.match(stem)
    if match is None:
        return None
    name = ClipName(*(int(match[field]) for field in ClipName._fields))
    return name if 1 <= name.actor <= NUM_ACTORS else None


@DATASETS.register_module()
class RAVDESSDataset(AudioVisualDataset):
    """RAVDESS emotion recognition from speech audio and face video frames.

    Args:
        ann_file: ``'train.csv'``, ``'val.csv'`` or ``'test.csv'`` (relative to ``data_root``).
        data_root: The converted RAVDESS folder.
        data_prefix: Defaults to ``dict(audio='AudioWAV', visual='Frames-15')``.
        **kwargs: See :class:`~fdkd_mm.datasets.audio_visual.base.AudioVisualDataset`.
    """

    METAINFO = dict(classes=RAVDESS_CLASSES)
    BAD_SAMPLE_NAME = 'RAVDESS'
    DEFAULT_PREFIX = dict(audio='AudioWAV', visual='Frames-15')

    def parse_split_file(self, path: str) -> list[ClipRow]:
        """Read ``<clip>,<emotion>`` rows (the CREMA-D split format)."""
        return read_cremad_split(path)
