"""Checks that a teacher cache was computed for this run: teacher, recorders, pipeline, data.

Each check collects every differing field before raising, so one error lists all of them.
"""
from collections.abc import Mapping

from fdkd_mm.datasets.pipeline_split.teacher import check_deterministic
from fdkd_mm.recording.identity import (first_difference, identity_differences, plain,
                                        teacher_identity)
from fdkd_mm.teacher_cache.manifest import TeacherCacheError, dataset_record, mismatch_error

#: Datasets wrap others (Concat, Repeat, ...): their indices are not the cache's.
_WRAPPERS = ('ConcatDataset', 'RepeatDataset', 'ClassBalancedDataset')


def check_model(manifest: dict, store_dir: str, teacher_input: str, teacher_cfg: Mapping,
                checkpoint: str, recorders: Mapping[str, Mapping]) -> None:
    """Refuse a cache computed by another teacher or with other recorders.

    Args:
        manifest: The cache's manifest.
        store_dir: The cache, for messages.
        teacher_input: The run's ``model.teacher_input``.
        teacher_cfg: The run's teacher network config.
        checkpoint: The run's ``model.teacher_ckpt`` (a file).
        recorders: Name → recorder config (with ``pool``) of every teacher tensor the run
            reads.

    Raises:
        TeacherCacheError: Listing each differing field, or a tensor the cache lacks.
    """
    run = teacher_identity(teacher_input, teacher_cfg, checkpoint, recorders)
    problems = identity_differences(manifest['teacher'], run, 'the cache',
                                    recorders_hint='rebuild with --recorders {names}')
    if problems:
        raise mismatch_error(store_dir, problems)


def check_pipeline(manifest: dict, store_dir: str, pipeline: list, modality: str,
                   where: str) -> list[dict]:
    """Refuse a run whose teacher input passes a random transform or other transforms than
    the cache's.

    Args:
        manifest: The cache's manifest.
        store_dir: The cache, for messages.
        pipeline: The run's training pipeline.
        modality: The teacher's input name.
        where: The pipeline's config key, for messages.

    Returns:
        The teacher's input transforms
        (:func:`~fdkd_mm.datasets.pipeline_split.teacher.teacher_input_transforms`).

    Raises:
        RandomTeacherTransformError: A random (or unknown) transform on the teacher's path.
        TeacherCacheError: The transforms differ from the cache's (the first difference named).
    """
    transforms = check_deterministic(pipeline, modality, where)
    difference = first_difference(manifest['teacher']['transforms'], plain(transforms),
                                  'the cache')
    if difference:
        raise mismatch_error(store_dir, [f'teacher input transforms ({where}): {difference}'])
    return transforms


def check_dataset(manifest: dict, store_dir: str, dataset, dataset_cfg: Mapping) -> None:
    """Refuse a training set other than the cache's: type, length, every sample's input.

    Args:
        manifest: The cache's manifest.
        store_dir: The cache, for messages.
        dataset: The run's built training dataset.
        dataset_cfg: Its config.

    Raises:
        TeacherCacheError: A dataset wrapper, or the differing fields.
    """
    kind = type(dataset).__name__
    if kind in _WRAPPERS:
        raise TeacherCacheError(f'the training set is a {kind}: its samples carry the indices '
                                'of the datasets inside it, which a teacher cache cannot key '
                                'by; train on the dataset itself')
    cached = manifest['dataset']
    run = dataset_record(dataset, dataset_cfg, cached['input_key'])
    problems = []
    if cached['type'].rsplit('.', 1)[-1] != run['type'].rsplit('.', 1)[-1]:
        problems.append(f'dataset type: {cached["type"]} in the cache, {run["type"]} in the run')
    if cached['length'] != run['length']:
        problems.append(f'dataset length: {cached["length"]} samples in the cache, '
                        f'{run["length"]} in the run ({cached["config"]} vs {run["config"]})')
    elif cached['samples_sha256'] != run['samples_sha256']:
        problems.append(f'dataset samples: the teacher inputs ({cached["input_key"]}) of the '
                        'run\'s samples differ from the cache\'s (other files, order or '
                        f'split; cache {cached["config"]}, run {run["config"]})')
    if problems:
        raise mismatch_error(store_dir, problems)
