"""The inputs of a cached teacher: one modality, or several (a fusion teacher), one rule.

Every input key of a teacher is held to the rule of a one-input teacher: its transforms in the
training pipeline must be deterministic and the cache's, and every sample's data-info value of
it is part of the dataset's digest. A one-input teacher's records keep their old form (the
input as a string, its transforms as a list), so caches written before fusion teachers were
cacheable are read unchanged; a fusion teacher's input is recorded as ``'image+audio'`` (the
form of its checkpoint's modality record) and its transforms as ``{key: [...]}``.
"""
from collections.abc import Sequence
from typing import Optional, Union

from fdkd_mm.datasets.pipeline_split.student import (short_type, split_student_pipeline,
                                                     unimodal_packer)
from fdkd_mm.datasets.pipeline_split.teacher import check_deterministic, without_modality

TeacherInput = Union[str, Sequence[str]]


def input_keys(teacher_input: TeacherInput) -> tuple[str, ...]:
    """The teacher's modality keys.

    Args:
        teacher_input: ``model.teacher_input``: one key, or a list of keys.

    Returns:
        The keys, in the config's order.
    """
    if isinstance(teacher_input, str):
        return (teacher_input, )
    return tuple(teacher_input)


def input_record(teacher_input: TeacherInput) -> str:
    """The ``input`` of a teacher's identity record: ``'audio'``, or ``'image+audio'``.

    Args:
        teacher_input: ``model.teacher_input``.

    Returns:
        The key, or the keys joined by ``+`` in the config's order.
    """
    return '+'.join(input_keys(teacher_input))


def deterministic_transforms(pipeline: list, teacher_input: TeacherInput,
                             where: str) -> Union[list, dict]:
    """Every input key's transforms, each refused unless deterministic.

    Args:
        pipeline: The training pipeline.
        teacher_input: ``model.teacher_input`` (or the keys still loaded, for a cached run).
        where: The pipeline's config key, for messages.

    Returns:
        The one key's transforms (a list), or ``{key: transforms}`` for several keys.

    Raises:
        RandomTeacherTransformError: A random or unknown transform, naming the key.
    """
    if isinstance(teacher_input, str):
        return check_deterministic(pipeline, teacher_input, where)
    return {key: check_deterministic(pipeline, key, where) for key in teacher_input}


def data_info_keys(pipeline: list, teacher_input: TeacherInput) -> Union[str, list]:
    """The data-info keys the teacher's inputs are read from (``'audio_path'``, ...).

    Args:
        pipeline: The training pipeline.
        teacher_input: ``model.teacher_input``.

    Returns:
        One key (a string) for one input, else a list in the inputs' order.
    """
    keys = [split_student_pipeline(pipeline, key).input_key for key in input_keys(teacher_input)]
    return keys[0] if isinstance(teacher_input, str) else keys


def teacher_only(teacher_input: TeacherInput, student_input: Optional[str]) -> list[str]:
    """The teacher's keys a cached run need not load: all but the student's modality.

    Args:
        teacher_input: ``model.teacher_input``.
        student_input: ``model.student_input``.

    Returns:
        The keys the student does not read.
    """
    return [key for key in input_keys(teacher_input) if key != student_input]


def without_modalities(pipeline: list, modalities: Sequence[str]) -> Optional[list]:
    """The pipeline with each of ``modalities`` left out (see ``without_modality``).

    Args:
        pipeline: A distiller's pipeline.
        modalities: The keys to leave out.

    Returns:
        The new pipeline, or ``None`` when one of them cannot be left out safely.
    """
    for modality in modalities:
        pipeline = without_modality(pipeline, modality)
        if pipeline is None:
            return None
    return pipeline


def teacher_loader_pipeline(pipeline: list, teacher_input: TeacherInput,
                            where: str) -> tuple[list, Union[list, dict]]:
    """The pipeline a teacher cache is computed with, and the transforms it records.

    A one-input teacher's input goes through its own (deterministic) transforms, packed plainly;
    a fusion teacher's keys each checked to be deterministic go through the training pipeline
    without the modalities it does not read, packed as the dict the network takes.

    Args:
        pipeline: The training pipeline.
        teacher_input: ``model.teacher_input`` (a key, or a fusion teacher's keys).
        where: The pipeline's config key, for messages.

    Returns:
        ``(pipeline, transforms)``: the transforms as a list (one key) or ``{key: list}``.

    Raises:
        RandomTeacherTransformError: A random transform on a teacher input, naming it.
    """
    if isinstance(teacher_input, str):
        split = split_student_pipeline(pipeline, teacher_input)
        path = check_deterministic(pipeline, teacher_input, where, split)
        packer = dict(unimodal_packer(split.packer, teacher_input), meta_keys=('sample_idx', ))
        return path + [packer], path
    from fdkd_mm.models.distillers.validation import packed_input_keys
    transforms = deterministic_transforms(pipeline, list(teacher_input), where)
    others = [key for key in packed_input_keys(pipeline)[0] if key not in teacher_input]
    reduced = without_modalities(pipeline, others) or list(pipeline)
    packer = dict(reduced[-1], meta_keys=('sample_idx', ))
    if short_type(packer) != 'PackModalityInputs':
        packer.pop('plain_inputs', None)
    return list(reduced[:-1]) + [packer], transforms
