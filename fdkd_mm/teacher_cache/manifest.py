"""What a teacher cache was computed from, and how a run is compared with it.

A cache's ``manifest.json`` records everything its tensors depend on: the teacher checkpoint
(its sha256), the teacher's network config, the recorders (path, source, call, pool), the
transforms of the teacher's input, the dataset (type, length and a digest of every sample's
teacher input), plus the storage dtype and per-sample shapes. A run reads the cache only when
the same fields match; a mismatch names each differing field.
"""
import hashlib
import json
import os
import os.path as osp
from collections.abc import Mapping
from typing import Any, Optional

from fdkd_mm.checkpoint.file_hash import file_sha256 as sha256_file  # noqa: F401 (re-exported)

FORMAT = 'fdkd_mm.teacher_cache'
VERSION = 1
MANIFEST_NAME = 'manifest.json'
#: Keys of a network config that do not change a loaded teacher's outputs (its weights come
#: from the checkpoint), left out of the comparison.
_WEIGHT_SOURCES = ('pretrained', 'init_cfg')
#: Recorder arguments that do not change the recorded values.
_VALUE_NEUTRAL_RECORDER_KEYS = ('clone', )
#: Dataset arguments recorded for information (the sample digest decides).
_DATASET_INFO_KEYS = ('data_root', 'ann_file', 'split', 'split_set', 'task', 'data_prefix')


class TeacherCacheError(ValueError):
    """A teacher cache cannot serve this run; the message names the field and the fix."""


def plain(value: Any) -> Any:
    """``value`` as JSON types (tuples as lists, config dicts as dicts), keys sorted."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def recorder_spec(cfg: Mapping) -> dict:
    """A recorder config with its defaults filled in, so equal recorders compare equal.

    Args:
        cfg: A ``teacher_recorders`` entry (``path``, ``source``, ``call_index``,
            ``data_index``, ``pool``, ...).

    Returns:
        The normalised spec (JSON types).
    """
    spec = {k: v for k, v in dict(cfg).items() if k not in _VALUE_NEUTRAL_RECORDER_KEYS}
    if spec.get('source') == 'parameter':
        return plain(dict(path=spec['path'], source='parameter'))
    spec.setdefault('source', 'output')
    spec.setdefault('call_index', 0)
    spec.setdefault('data_index', 0)
    spec.setdefault('pool', None)
    return plain(spec)


def network_spec(cfg: Any) -> Any:
    """A network config without the keys that only say where initial weights come from."""
    if isinstance(cfg, Mapping):
        return {k: network_spec(v) for k, v in plain(cfg).items() if k not in _WEIGHT_SOURCES}
    if isinstance(cfg, list):
        return [network_spec(v) for v in cfg]
    return cfg


def relative_to(value: Any, root: Optional[str]) -> Any:
    """A path below ``root`` as a relative path (a moved dataset keeps its digest)."""
    if isinstance(value, str) and root and osp.isabs(value) == osp.isabs(root):
        if osp.commonpath([osp.abspath(value), osp.abspath(root)]) == osp.abspath(root):
            return osp.relpath(value, root)
    return value


def dataset_record(dataset, dataset_cfg: Mapping, input_key: str) -> dict:
    """Identity of a built dataset as the teacher sees it.

    Args:
        dataset: The built MMEngine dataset (``get_data_info``, ``len``).
        dataset_cfg: Its config (``type``, ``data_root``, ...).
        input_key: The data-info key of the teacher's input (``'audio_path'``, ``'text'``).

    Returns:
        ``type``, ``length``, ``input_key``, ``samples_sha256`` (a digest of every sample's
        teacher input: the text itself, or the path relative to the data root and the file's
        size) and informative config entries.
    """
    root = getattr(dataset, 'data_root', None) or dataset_cfg.get('data_root')
    digest = hashlib.sha256()
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        if input_key not in info:
            raise TeacherCacheError(f'sample {index} of {dataset_cfg.get("type")} has no '
                                    f'{input_key!r}, the key the teacher input is read from; '
                                    f'it has {sorted(info)}')
        value = info[input_key]
        entry = [relative_to(value, root)]
        if isinstance(value, str) and osp.isfile(value):
            entry.append(osp.getsize(value))  # a re-written file usually changes size
        digest.update(json.dumps(plain(entry)).encode())
        digest.update(b'\n')
    info_keys = {k: plain(dataset_cfg[k]) for k in _DATASET_INFO_KEYS if k in dataset_cfg}
    return dict(type=str(dataset_cfg.get('type')), length=len(dataset), input_key=input_key,
                samples_sha256=digest.hexdigest(), config=info_keys)


def first_difference(cached: Any, run: Any, where: str = '') -> Optional[str]:
    """Where two JSON values first differ (``'[1].hop_length: 353 vs 300'``), or None."""
    if isinstance(cached, dict) and isinstance(run, dict):
        for key in sorted(set(cached) | set(run)):
            child = f'{where}.{key}' if where else str(key)
            if key not in cached or key not in run:
                side = 'the run' if key not in cached else 'the cache'
                return f'{child}: only {side} has it'
            found = first_difference(cached[key], run[key], child)
            if found:
                return found
        return None
    if isinstance(cached, list) and isinstance(run, list):
        if len(cached) != len(run):
            return f'{where or "list"}: {len(cached)} entries in the cache, {len(run)} in the run'
        for index, (a, b) in enumerate(zip(cached, run)):
            found = first_difference(a, b, f'{where}[{index}]')
            if found:
                return found
        return None
    if cached != run:
        return f'{where or "value"}: {cached!r} in the cache, {run!r} in the run'
    return None


def manifest_path(store_dir: str) -> str:
    return osp.join(store_dir, MANIFEST_NAME)


def read_manifest(store_dir: str) -> dict:
    """Read and check a store's manifest.

    Raises:
        FileNotFoundError: No complete cache there (the message says how to build one).
        TeacherCacheError: Not a teacher cache, or of another format version.
    """
    path = manifest_path(store_dir)
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
