"""Datasets of fdkd_mm, registered in ``fdkd_mm.registry.DATASETS``."""
from . import transforms  # noqa: F401
from .nyu_depth_v2 import NYUDepthV2Dataset  # noqa: F401
from .audio_visual import AVEDataset, CremaDDataset, VGGSoundDataset  # noqa: F401
from .crisismmd import CrisisMMDDataset  # noqa: F401
from .disjoint_parts import DisjointPartDataset  # noqa: F401
from .manifest import ManifestDataset  # noqa: F401
