"""Prepare a training config that reads its teacher from a cache (``tools/train.py``)."""
import os.path as osp

from mmengine.config import Config
from mmengine.logging import print_log

from fdkd_mm.teacher_cache.checks import check_pipeline
from fdkd_mm.teacher_cache.manifest import read_manifest
from fdkd_mm.datasets.pipeline_split.teacher import without_modality

PIPELINE_KEY = 'train_dataloader.dataset.pipeline'


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
