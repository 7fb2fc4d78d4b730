"""Split a paired training set into two disjoint parts, for distillation without pairs.

The unpaired protocol (docs/unpaired.md) trains the teacher on part A of a paired dataset, in
the teacher's modality only, and the student on part B, in the student's modality only. The
parts are made of whole *groups* (a CREMA-D actor, a NYU-Depth V2 scene), so no person or
room is seen by both sides: the two sides then share classes, not samples.
"""
import copy
import hashlib
import logging
import os.path as osp
from collections.abc import Callable
from typing import Optional, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import print_log

from fdkd_mm.registry import DATASETS

PARTS = ('A', 'B')


def sample_key(info: dict) -> str:
    """A name of a sample that does not depend on where the data lives or its order.

    Args:
        info: A data info (``clip_id`` of the audio-visual datasets, ``sample_id`` of
            NYU-Depth V2, ``tweet_id`` / ``image_id`` of CrisisMMD, else the file name of
            ``img_path``).

    Returns:
        The key.

    Raises:
        KeyError: When the info has none of these fields.
    """
    for field in ('clip_id', 'sample_id', 'image_id', 'tweet_id'):
        if info.get(field) is not None:
            return str(info[field])
    if info.get('img_path') is not None:
        return osp.basename(str(info['img_path']))
    raise KeyError(f'cannot name the sample: its data info has none of clip_id, sample_id, '
                   f'image_id, tweet_id, img_path (fields: {sorted(info)})')


def actor_of(info: dict) -> str:
    """The actor of a clip: CREMA-D's first field of ``<actor>_<sentence>_<emotion>_<level>``,
    or RAVDESS's last of its seven two-digit fields (``01-01-06-01-02-01-12``: actor 12).

    Raises:
        ValueError: For a clip id in neither form.
    """
    from fdkd_mm.datasets.audio_visual.ravdess import parse_clip_name
    clip = str(info.get('clip_id', ''))
    actor = clip.split('_')[0]
    if clip.count('_') == 3 and actor.isdigit():
        return actor
    ravdess = parse_clip_name(clip)
    if ravdess is not None:
        return f'{ravdess.actor:02d}'
    raise ValueError(f"group_by='actor' needs CREMA-D clip ids <actor>_<sentence>_<emotion>"
                     f"_<level> such as 1001_DFA_ANG_XX or RAVDESS ones such as "
                     f"01-01-06-01-02-01-12, got {clip!r}")


def scene_of(info: dict) -> str:
    """The NYU-Depth V2 scene of a frame (``scene`` of the data info, from ``scenes.txt``).

    Raises:
        KeyError: When the dataset has no scenes (an older conversion).
    """
    if info.get('scene') is None:
        raise KeyError(
            f"group_by='scene' needs the scene of every frame, but sample "
            f"{info.get('sample_id')!r} has none: the data root lacks scenes.txt. Convert the "
            'official files again (tools/dataset_converters/nyu_depth_v2.py writes it), or '
            "split by frame with group_by='sample' (frames of one room may then land in both "
            'parts)')
    return str(info['scene'])


def video_of(info: dict) -> str:
    """The YouTube video of a VGGSound clip: ``<ytid>`` of its id ``<ytid>_<start:06d>``
    (several clips of one video must not fall into both parts).

    Raises:
        ValueError: For a clip id that is not in VGGSound's form.
    """
    clip = str(info.get('clip_id', ''))
    video, _, start = clip.rpartition('_')
    if not video or len(start) != 6 or not start.isdigit():
        raise ValueError(f"group_by='video' needs VGGSound clip ids <youtube id>_<start:06d> "
                         f"such as abc_000030, got {clip!r}")
    return video


#: Group key of each ``group_by`` choice.
GROUP_KEYS: dict[str, Callable[[dict], str]] = dict(
    actor=actor_of, scene=scene_of, video=video_of, sample=sample_key)


def assign_groups(groups: list[str], fraction: float, seed: int) -> dict[str, str]:
    """Assign every group to part A or B: a seeded permutation of the sorted groups, the first
    ``round(fraction * len(groups))`` go to A.

    Args:
        groups: Distinct group keys (any order).
        fraction: Share of the groups in part A, in (0, 1).
        seed: Seed of the permutation.

    Returns:
        Group → ``'A'`` or ``'B'``.

    Raises:
        ValueError: When either part would be empty.
    """
    ordered = sorted(groups)
    num_a = int(round(fraction * len(ordered)))
    if not 0 < num_a < len(ordered):
        raise ValueError(f'cannot split {len(ordered)} groups into two non-empty parts with '
                         f'fraction {fraction}: part A would get {num_a}')
    order = np.random.default_rng(seed).permutation(len(ordered))
    return {ordered[i]: ('A' if rank < num_a else 'B') for rank, i in enumerate(order)}


@DATASETS.register_module()
class DisjointPartDataset:
    """Part A or B of a dataset split by groups (actor, scene, sample), deterministically.

    Both parts come from the same ``(dataset, group_by, fraction, seed)``: every group is in
    exactly one of them, the same one every time, whatever the dataset's order. The wrapped
    dataset keeps its pipeline (the part of the pipeline that loads the other modality can be
    left out, so a side never reads the other's files).

    Args:
        dataset: Config or instance of the dataset to split.
        part: ``'A'`` or ``'B'``.
        group_by: ``'actor'`` (CREMA-D: the actor of a clip), ``'scene'`` (NYU-Depth V2: the
            room of a frame, from the data root's ``scenes.txt``), ``'video'`` (VGGSound: the
            YouTube video of a clip) or ``'sample'`` (each sample alone, e.g. AVE, whose
            clips are whole videos).
        fraction: Share of the groups in part A, in (0, 1). Defaults to 0.5.
        seed: Seed of the split. Defaults to 0.
        lazy_init: Defer loading the annotations to :meth:`full_init`.
    """

    def __init__(self, dataset: Union[dict, BaseDataset], part: str, group_by: str = 'sample',
                 fraction: float = 0.5, seed: int = 0, lazy_init: bool = False) -> None:
        if part not in PARTS:
            raise ValueError(f"part must be 'A' or 'B', got {part!r}")
        if group_by not in GROUP_KEYS:
            raise ValueError(f'group_by must be one of {sorted(GROUP_KEYS)}, got {group_by!r}')
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or \
                not 0.0 < fraction < 1.0:
            raise ValueError(f'fraction must be a number in (0, 1), got {fraction!r}')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.part = part
        self.group_by = group_by
        self.fraction = float(fraction)
        self.seed = int(seed)
        self._fully_initialized = False
        self.indices: list[int] = []
        self.groups: dict[str, str] = {}
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's meta information (classes, palette)."""
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self) -> None:
        """Load the wrapped dataset and select the samples of this part."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        key_of = GROUP_KEYS[self.group_by]
        keys = [key_of(self.dataset.get_data_info(i)) for i in range(len(self.dataset))]
        self.groups = assign_groups(list(set(keys)), self.fraction, self.seed)
        self.indices = [i for i, key in enumerate(keys) if self.groups[key] == self.part]
        print_log(f'{type(self.dataset).__name__} split by {self.group_by} (fraction '
                  f'{self.fraction}, seed {self.seed}): part {self.part} holds '
                  f'{len(self.indices)} of {len(keys)} samples, '
                  f'{sum(p == self.part for p in self.groups.values())} of {len(self.groups)} '
                  'groups', logger='current', level=logging.INFO)
        self._fully_initialized = True

    @force_full_init
    def __len__(self) -> int:
        return len(self.indices)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """The data info of the ``idx``-th sample of this part."""
        return self.dataset.get_data_info(self.indices[idx])

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        return self.dataset[self.indices[idx]]

    @force_full_init
    def identity(self) -> dict:
        """What this part is, independent of paths and order (recorded in a teacher bank).

        Returns:
            ``dict(type, part, group_by, fraction, seed, num_samples, samples_sha256)``.
        """
        return dict(dataset_identity(self.dataset, self.indices), part=self.part,
                    group_by=self.group_by, fraction=self.fraction, seed=self.seed)


def dataset_identity(dataset, indices: Optional[list[int]] = None) -> dict:
    """Type, size and a hash of the sorted sample keys of (a subset of) a dataset.

    Args:
        dataset: A dataset with ``get_data_info`` (a :class:`DisjointPartDataset` reports its
            part as well).
        indices: The samples to describe; ``None``: all of them.

    Returns:
        ``dict(type, num_samples, samples_sha256)`` (plus the part's settings for a
        :class:`DisjointPartDataset`).
    """
    if indices is None and isinstance(dataset, DisjointPartDataset):
        return dataset.identity()
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    indices = range(len(dataset)) if indices is None else indices
    keys = sorted(sample_key(dataset.get_data_info(i)) for i in indices)
    digest = hashlib.sha256('\n'.join(keys).encode()).hexdigest()
    return dict(type=type(dataset).__name__, num_samples=len(keys), samples_sha256=digest)
