"""Prepare a training config that reads its teacher from a cache (``tools/train.py``)."""
import os.path as osp

from mmengine.config import Config
from mmengine.logging import print_log

from fdkd_mm.teacher_cache.checks import check_input, check_pipeline
from fdkd_mm.teacher_cache.inputs import teacher_only, without_modalities
from fdkd_mm.teacher_cache.manifest import read_manifest

PIPELINE_KEY = 'train_dataloader.dataset.pipeline'
#: The loaders that evaluate the student alone (the teacher never runs there).
EVAL_LOADERS = ('val_dataloader', 'test_dataloader')


def apply_teacher_cache(cfg: Config) -> bool:
    """Check a run's teacher input transforms against its cache and stop loading that input.

    With ``model.teacher_cache`` set, the training pipeline's teacher transforms (of every
    input of a fusion teacher, the student's modality included) must be deterministic and the
    cache's; then the teacher's own loading and transforms (of the modalities the student does
    not read) are left out of the training pipeline (and its packer packs the student's
    modality only), so data loading costs what the student's does. A pipeline whose teacher
    transforms also act on other modalities is kept as it is. The dataset itself is checked
    when training starts (:class:`~fdkd_mm.engine.hooks.TeacherCacheHook`).

    Args:
        cfg: The training config (after ``--cfg-options``), changed in place.

    Returns:
        Whether the config reads a teacher cache.

    Raises:
        FileNotFoundError: No cache at ``model.teacher_cache.path``.
        TeacherCacheError: The cache is of a teacher of other inputs.
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
    check_input(manifest, store_dir, modality)
    transforms = check_pipeline(manifest, store_dir, pipeline, modality, PIPELINE_KEY)
    # A fusion teacher reads the student's modality too: only the teacher's own are left out.
    dropped_keys = teacher_only(modality, model.get('student_input'))
    reduced = without_modalities(pipeline, dropped_keys)
    if reduced is None:
        print_log(f'teacher cache: {PIPELINE_KEY} still loads {dropped_keys} (their '
                  'transforms act on other modalities too)', logger='current')
        return True
    per_key = transforms if isinstance(transforms, dict) else {modality: transforms}
    dropped = [t.get('type') for key in dropped_keys for t in per_key[key]]
    dataset_cfg.pipeline = reduced
    print_log(f'teacher cache {store_dir}: {PIPELINE_KEY} no longer loads {dropped_keys} '
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
    if model.get('teacher_cache') is None or model.get('teacher_input') is None:
        return []
    modalities = teacher_only(model['teacher_input'], model.get('student_input'))
    changed = []
    for loader in EVAL_LOADERS:
        dataset_cfg = (cfg.get(loader) or {}).get('dataset') or {}
        pipeline = dataset_cfg.get('pipeline')
        packed = packed_input_keys(pipeline) if pipeline else None
        present = [key for key in modalities if packed is not None and key in packed[0]]
        if not present:
            continue
        reduced = without_modalities(pipeline, present)
        if reduced is not None:
            dataset_cfg.pipeline = reduced
            changed.append(loader)
    if changed:
        print_log(f'teacher cache: {", ".join(changed)} no longer load {modalities} (the '
                  'student is evaluated alone)', logger='current')
    return changed
