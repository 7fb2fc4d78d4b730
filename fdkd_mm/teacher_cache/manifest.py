"""What a teacher cache was computed from, and how a run is compared with it.

A cache's ``manifest.json`` records everything its tensors depend on: the teacher's identity
(:func:`~fdkd_mm.recording.identity.teacher_identity`: its input, network config, checkpoint
sha256, recorders and input transforms), the dataset (type, length and a digest of every
sample's teacher inputs, each input of a fusion teacher), plus the storage dtype and
per-sample shapes. A run reads the cache only when the same fields match; a mismatch names
each differing field.
"""
import hashlib
import json
import os.path as osp
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np

from fdkd_mm.recording.identity import plain
from fdkd_mm.errors import CacheError

FORMAT = 'fdkd_mm.teacher_cache'
#: 2: the teacher's identity record (recorder specs and transforms in ``teacher``).
VERSION = 2
MANIFEST_NAME = 'manifest.json'
#: Dataset arguments recorded for information (the sample digest decides).
_DATASET_INFO_KEYS = ('data_root', 'ann_file', 'split', 'split_set', 'task', 'data_prefix')


class TeacherCacheError(CacheError):
    """A teacher cache cannot serve this run; the message names the field and the fix."""


def relative_to(value: Any, root: Optional[str]) -> Any:
    """A path below ``root`` as a relative path (a moved dataset keeps its digest)."""
    if isinstance(value, str) and root and osp.isabs(value) == osp.isabs(root):
        if osp.commonpath([osp.abspath(value), osp.abspath(root)]) == osp.abspath(root):
            return osp.relpath(value, root)
    return value


def _sample_entry(value: Any, root: Optional[str]) -> list:
    """What a sample's teacher input contributes to the digest: the text itself, the path
    relative to the data root and the file's size, or an array's shape and bytes' sha256."""
    if isinstance(value, np.ndarray):  # a repr would elide most of the values
        array = np.ascontiguousarray(value)
        return [list(array.shape), str(array.dtype), hashlib.sha256(array.tobytes()).hexdigest()]
    entry = [relative_to(value, root)]
    if isinstance(value, str) and osp.isfile(value):
        entry.append(osp.getsize(value))  # a re-written file usually changes size
    return entry


def dataset_record(dataset, dataset_cfg: Mapping, input_key: Union[str, Sequence[str]]) -> dict:
    """Identity of a built dataset as the teacher sees it.

    Args:
        dataset: The built MMEngine dataset (``get_data_info``, ``len``).
        dataset_cfg: Its config (``type``, ``data_root``, ...).
        input_key: The data-info key of the teacher's input (``'audio_path'``, ``'text'``), or
            a list of them (a fusion teacher: every key's value is digested).

    Returns:
        ``type``, ``length``, ``input_key``, ``samples_sha256`` (a digest of every sample's
        teacher inputs: the text itself, the path relative to the data root and the file's
        size, or an array's bytes) and informative config entries.

    Raises:
        TeacherCacheError: A sample lacks one of the keys.
    """
    root = getattr(dataset, 'data_root', None) or dataset_cfg.get('data_root')
    keys = [input_key] if isinstance(input_key, str) else list(input_key)
    digest = hashlib.sha256()
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        entry = []
        for key in keys:
            if key not in info:
                raise TeacherCacheError(f'sample {index} of {dataset_cfg.get("type")} has no '
                                        f'{key!r}, a key the teacher input is read from; it '
                                        f'has {sorted(info)}')
            entry.extend(_sample_entry(info[key], root))
        digest.update(json.dumps(plain(entry)).encode())
        digest.update(b'\n')
    info_keys = {k: plain(dataset_cfg[k]) for k in _DATASET_INFO_KEYS if k in dataset_cfg}
    return dict(type=str(dataset_cfg.get('type')), length=len(dataset),
                input_key=input_key if isinstance(input_key, str) else keys,
                samples_sha256=digest.hexdigest(), config=info_keys)


def read_manifest(store_dir: str) -> dict:
    """Read and check a store's manifest.

    Raises:
        FileNotFoundError: No complete cache there (the message says how to build one).
        TeacherCacheError: Not a teacher cache, or of another format version.
    """
    path = osp.join(store_dir, MANIFEST_NAME)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'no teacher cache at {store_dir} ({MANIFEST_NAME} missing; a cache being written '
            'lives under a temporary name until complete). Build it with '
            'python tools/cache_teacher.py CONFIG --out <the cache root>')
    with open(path) as f:
        manifest = json.load(f)
    if manifest.get('format') != FORMAT:
        raise TeacherCacheError(f'{path} is not a teacher cache manifest (format '
                                f'{manifest.get("format")!r})')
    if manifest.get('version') != VERSION:
        raise TeacherCacheError(f'{path}: cache format version {manifest.get("version")}, this '
                                f'fdkd_mm reads version {VERSION}; rebuild the cache')
    return manifest


def mismatch_error(store_dir: str, problems: list[str]) -> TeacherCacheError:
    """The error listing every field in which a cache differs from the run."""
    listed = '\n  - '.join(problems)
    return TeacherCacheError(
        f'the teacher cache {store_dir} does not match this run:\n  - {listed}\nRebuild it '
        'for this config (python tools/cache_teacher.py CONFIG) or point teacher_cache.path '
        'at the matching cache.')
