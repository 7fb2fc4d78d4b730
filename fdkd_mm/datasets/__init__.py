"""Datasets of fdkd_mm, registered in ``fdkd_mm.registry.DATASETS``."""
from . import transforms  # noqa: F401
from .nyu_depth_v2 import NYUDepthV2Dataset  # noqa: F401
from .nyu_mst import MSTNYUDepthV2Dataset  # noqa: F401
from .audio_visual import (AVEDataset, CremaDDataset, MSTVGGSoundDataset,  # noqa: F401
                           RAVDESSDataset, VGGSoundDataset)
from .avmnist import AVMNISTDataset  # noqa: F401
from .avmnist_mst import MSTAVMNISTDataset  # noqa: F401
from .crisismmd import CrisisMMDDataset  # noqa: F401
from .crisismmd_mst import MSTCrisisMMDDataset  # noqa: F401
from .disjoint_parts import DisjointPartDataset  # noqa: F401
from .teacher_stream import TeacherStream  # noqa: F401
from .manifest import ManifestDataset  # noqa: F401
