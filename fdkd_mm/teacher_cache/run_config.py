"""Prepare a training config that reads its teacher from a cache (``tools/train.py``)."""
import os.path as osp

from mmengine.config import Config
from mmengine.logging import print_log

from fdkd_mm.teacher_cache.checks import check_pipeline
from fdkd_mm.teacher_cache.manifest import read_manifest
from fdkd_mm.datasets.pipeline_split.teacher import without_modality

PIPELINE_KEY = 'train_dataloader.dataset.pipeline'
#: The loaders that evaluate the student alone (the teacher never runs there).
EVAL_LOADERS = ('val_dataloader', 'test_dataloader')


def apply_teacher_cache(cfg: Config) -> bool:
    """Check a run's teacher input transforms against its cache and stop loading that input.

    With ``model.teacher_cache`` set, the training pipeline's teacher transforms must be
    deterministic and the cache's; then the teacher's own loading and transforms are left out
    of the training pipeline (and its packer packs the student's modality only), so data
    loading costs what the student's does. A pipeline whose teacher transforms also act on
    other modalities is kept as it is. The dataset itself is checked when training starts
    (:class:`~fdkd_mm.engine.hooks.TeacherCacheHook`).

    Args:
        cfg: The training config (after ``--cfg-options``), changed in place.

    Returns:
        Whether the config reads a teacher cache.

    Raises:
        FileNotFoundError: No cache at ``model.teacher_cache.path``.
        RandomTeacherTransformError / TeacherCacheError: The teacher's input transforms are
            random or differ from the cache's.
    """
    model = cfg.get('model') or {}
    cache_cfg = model.get('teacher_cache')
    if cache_cfg is None:
        return False
    cached_eval_pipelines(cfg)
    store_dir = osp.join(cache_cfg['path'], cache_cfg.get('split', 'train'))
    manifest = read_manifest(store_dir)
    dataset_cfg = cfg.train_dataloader.dataset
    pipeline = dataset_cfg.get('pipeline')
    if not pipeline:
        return True  # a dataset wrapper: refused by TeacherCacheHook with the reason
    modality = model['teacher_input']
    transforms = check_pipeline(manifest, store_dir, pipeline, modality, PIPELINE_KEY)
    reduced = without_modality(pipeline, modality)
    if reduced is None:
        print_log(f'teacher cache: {PIPELINE_KEY} still loads {modality!r} (its transforms '
                  'act on other modalities too)', logger='current')
        return True
    dropped = [t.get('type') for t in transforms]
    dataset_cfg.pipeline = reduced
    print_log(f'teacher cache {store_dir}: {PIPELINE_KEY} no longer loads {modality!r} '
              f'(left out: {dropped})', logger='current')
    return True


def cached_eval_pipelines(cfg: Config) -> list[str]:
    """Validation and test of a run that reads its teacher from a cache load the student's
    modality only: the teacher's loading and transforms are left out of their pipelines.

    Evaluation runs the student alone, so the teacher's input would be decoded for nothing.
    A no-op without ``model.teacher_cache``; a pipeline whose teacher transforms also act on
    other modalities, or that does not pack the teacher's input, is kept.

    Args:
        cfg: The run's config, changed in place.

    Returns:
        The loaders whose pipeline changed.
    """
    from fdkd_mm.models.distillers.validation import packed_input_keys
    model = cfg.get('model') or {}
    modality = model.get('teacher_input')
    if model.get('teacher_cache') is None or not isinstance(modality, str):
        return []
    changed = []
    for loader in EVAL_LOADERS:
        dataset_cfg = (cfg.get(loader) or {}).get('dataset') or {}
        pipeline = dataset_cfg.get('pipeline')
        packed = packed_input_keys(pipeline) if pipeline else None
        if packed is None or modality not in packed[0]:
            continue
        reduced = without_modality(pipeline, modality)
        if reduced is not None:
            dataset_cfg.pipeline = reduced
            changed.append(loader)
    if changed:
        print_log(f'teacher cache: {", ".join(changed)} no longer load {modality!r} (the '
                  'student is evaluated alone)', logger='current')
    return changed
