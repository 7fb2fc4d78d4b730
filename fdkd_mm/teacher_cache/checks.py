"""Checks that a teacher cache was computed for this run: teacher, recorders, pipeline, data.

Each check collects every differing field before raising, so one error lists all of them.
"""
from collections.abc import Mapping
from typing import Union

from fdkd_mm.recording.identity import (first_difference, identity_differences, plain,
                                        teacher_identity)
from fdkd_mm.teacher_cache.inputs import TeacherInput, deterministic_transforms, input_record
from fdkd_mm.teacher_cache.manifest import TeacherCacheError, dataset_record, mismatch_error

#: Datasets wrap others (Concat, Repeat, ...): their indices are not the cache's.
_WRAPPERS = ('ConcatDataset', 'RepeatDataset', 'ClassBalancedDataset')


def check_model(manifest: dict, store_dir: str, teacher_input: TeacherInput,
                teacher_cfg: Mapping, checkpoint: str,
                recorders: Mapping[str, Mapping]) -> None:
    """Refuse a cache computed by another teacher or with other recorders.

    Args:
        manifest: The cache's manifest.
        store_dir: The cache, for messages.
        teacher_input: The run's ``model.teacher_input`` (one key, or a fusion teacher's
            keys).
        teacher_cfg: The run's teacher network config.
        checkpoint: The run's ``model.teacher_ckpt`` (a file).
        recorders: Name → recorder config (with ``pool``) of every teacher tensor the run
            reads.

    Raises:
        TeacherCacheError: Listing each differing field, or a tensor the cache lacks.
    """
    run = teacher_identity(input_record(teacher_input), teacher_cfg, checkpoint, recorders)
    problems = identity_differences(manifest['teacher'], run, 'the cache',
                                    recorders_hint='rebuild with --recorders {names}')
    if problems:
        raise mismatch_error(store_dir, problems)


def check_input(manifest: dict, store_dir: str, teacher_input: TeacherInput) -> None:
    """Refuse a cache of a teacher of other inputs (e.g. a one-input teacher's for a fusion
    run, or the other way round) before its transforms are compared.

    Args:
        manifest: The cache's manifest.
        store_dir: The cache, for messages.
        teacher_input: The run's ``model.teacher_input``.

    Raises:
        TeacherCacheError: Naming both inputs.
    """
    held, run = manifest['teacher']['input'], input_record(teacher_input)
    if held != run:
        raise mismatch_error(store_dir, [f'teacher input: {held!r} in the cache, {run!r} in '
                                         'the run'])


def check_pipeline(manifest: dict, store_dir: str, pipeline: list, modality: TeacherInput,
                   where: str) -> Union[list, dict]:
    """Refuse a run whose teacher inputs pass a random transform or other transforms than
    the cache's.

    Args:
        manifest: The cache's manifest.
        store_dir: The cache, for messages.
        pipeline: The run's training pipeline.
        modality: The teacher's input name; for a fusion teacher, a list of the keys to
            check (every key the pipeline loads).
        where: The pipeline's config key, for messages.

    Returns:
        The teacher's input transforms: a list for one key, ``{key: list}`` for several
        (:func:`~fdkd_mm.teacher_cache.inputs.deterministic_transforms`).

    Raises:
        RandomTeacherTransformError: A random (or unknown) transform on a teacher input's path.
        TeacherCacheError: The transforms differ from the cache's (the first difference named).
    """
    transforms = deterministic_transforms(pipeline, modality, where)
    held = manifest['teacher']['transforms']
    if isinstance(modality, str):
        pairs = [('', held, transforms)]
    elif not isinstance(held, dict):
        pairs = [('', held, transforms)]  # a one-input teacher's cache: named as it differs
    else:
        pairs = [(f' of {key!r}', held.get(key), transforms[key]) for key in modality]
    for label, cached, run in pairs:
        difference = first_difference(cached, plain(run), 'the cache')
        if difference:
            raise mismatch_error(store_dir,
                                 [f'teacher input transforms{label} ({where}): {difference}'])
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
