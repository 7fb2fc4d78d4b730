"""Datasets listed in a manifest (CSV / JSON lines): any modalities, any labels."""
from .dataset import ManifestDataset, read_class_file  # noqa: F401
from .kinds import KINDS, PIXEL_KINDS, default_kind  # noqa: F401
from .reading import read_manifest  # noqa: F401
