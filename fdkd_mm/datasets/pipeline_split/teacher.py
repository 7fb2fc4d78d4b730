"""The transforms a distiller's teacher input passes, and whether they are deterministic.

A teacher output cache (``tools/cache_teacher.py``) holds one tensor per sample, so it is only
exact when the teacher's input is the same in every epoch: every transform on the teacher's
path must be deterministic. :func:`teacher_input_transforms` finds that path in a training
pipeline, :func:`check_deterministic` refuses a random (or unknown) transform on it, naming it,
and :func:`without_modality` gives the pipeline a cached run trains with: the teacher's own
loading and transforms left out, so data loading costs what the student's does.

Which transforms touch which modality: a loader (:data:`~fdkd_mm.datasets.pipeline_split.student.
LOADERS`) starts its modality's chain, which runs up to the next loader (as in
:func:`~fdkd_mm.datasets.pipeline_split.student.split_student_pipeline`). Transforms of
:data:`CHAIN_LOCAL` act on their chain's modality only, those of :data:`IMAGE_ONLY` on the
image only, label loaders on the labels only; any other transform is taken to act on every
modality loaded before it (mmseg's geometric transforms move the depth map with the image).
"""
import copy
from typing import Callable, Optional

from fdkd_mm.datasets.pipeline_split.student import (LABEL_LOADERS, LOADERS, PACKERS, StudentPipeline,
                                            short_type, split_student_pipeline)
from fdkd_mm.errors import CacheError

#: Transforms (as written in configs, with and without scope) that act on their chain's
#: modality alone.
_OURS_LOCAL = ('SampleFrames', 'LoadFrames', 'FramesRandomResizedCrop', 'FramesResize',
               'FramesRandomFlip', 'LoadWaveform', 'LogSpectrogram', 'LoadSpectrogram',
               'TokenizeText', 'LoadDepthFromFile')
CHAIN_LOCAL = frozenset(_OURS_LOCAL + tuple(f'fdkd_mm.{name}' for name in _OURS_LOCAL)
                        + ('LoadImageFromFile', 'mmcv.LoadImageFromFile'))
#: Transforms that change ``results['img']`` only (mmpretrain's image transforms, mmseg's
#: colour distortion), whichever chain they sit in.
IMAGE_ONLY = frozenset({'mmpretrain.RandomResizedCrop', 'mmpretrain.RandomFlip',
                        'mmpretrain.ResizeEdge', 'mmpretrain.CenterCrop',
                        'mmpretrain.ColorJitter', 'mmseg.PhotoMetricDistortion'})
#: Deterministic transforms (short type) → a test of their arguments, ``None`` if always.
#: Anything else on a teacher's path is refused: random, or not known to be deterministic.
DETERMINISTIC: dict[str, Optional[Callable[[dict], bool]]] = {
    'LoadWaveform': None,
    'LoadSpectrogram': None,
    'LogSpectrogram': lambda cfg: cfg.get('crop', 'start') != 'random',
    'LoadImageFromFile': None,
    'LoadDepthFromFile': None,
    'TokenizeText': None,
    'SampleFrames': lambda cfg: cfg.get('random', True) is False,
    'LoadFrames': None,
    'FramesResize': None,
    'ResizeEdge': None,
    'CenterCrop': None,
    'Resize': None,
}
#: What makes a conditionally deterministic transform random, for messages.
_RANDOM_SETTING = {'LogSpectrogram': "crop='random'", 'SampleFrames': 'random=True'}


class RandomTeacherTransformError(CacheError):
    """The teacher's input passes a random (or unknown) transform: no exact cache exists."""


def _touches(transform: dict, chain: Optional[str], input_key: str) -> bool:
    """Whether ``transform`` (in the chain of loader key ``chain``) can change the input read
    from ``input_key``."""
    full = str(transform.get('type', ''))
    if short_type(transform) in LABEL_LOADERS:
        return False
    if full in IMAGE_ONLY:
        return input_key == 'img_path'
    if full in CHAIN_LOCAL:
        return chain == input_key
    return True


def _own(transform: dict, chain: Optional[str], input_key: str) -> bool:
    """Whether ``transform`` acts on the input read from ``input_key`` and nothing else."""
    full = str(transform.get('type', ''))
    return ((full in CHAIN_LOCAL and chain == input_key)
            or (full in IMAGE_ONLY and input_key == 'img_path'))


def teacher_input_transforms(pipeline: list, modality: str,
                             split: Optional[StudentPipeline] = None) -> list[dict]:
    """The transforms of ``pipeline`` that the input of ``modality`` passes, in order.

    Args:
        pipeline: A distiller's pipeline, ending with one of its packing transforms.
        modality: The teacher's input name (``model.teacher_input``).
        split: ``split_student_pipeline(pipeline, modality)`` when the caller has it already;
            ``None`` computes it.

    Returns:
        Copies of the transforms from the modality's loader on that can change its input
        (label loading and the packer excluded).

    Raises:
        ValueError / KeyError: The pipeline does not pack ``modality`` or has no loader for it
            (see :func:`~fdkd_mm.datasets.pipeline_split.student.split_student_pipeline`).
    """
    if split is None:
        split = split_student_pipeline(pipeline, modality)
    input_key = split.input_key
    path, chain, loaded = [], None, split.direct
    for transform in pipeline[:-1]:
        name = short_type(transform)
        if name in LOADERS:
            chain = LOADERS[name]
            loaded = loaded or chain == input_key
        if loaded and _touches(transform, chain, input_key):
            path.append(copy.deepcopy(transform))
    return path


def random_transforms(transforms: list[dict]) -> list[str]:
    """Descriptions of the transforms of ``transforms`` not known to be deterministic."""
    found = []
    for transform in transforms:
        name = short_type(transform)
        if name not in DETERMINISTIC:
            found.append(f'{transform.get("type")} (not on the list of deterministic '
                         'transforms)')
        elif DETERMINISTIC[name] is not None and not DETERMINISTIC[name](transform):
            found.append(f'{transform.get("type")} with {_RANDOM_SETTING[name]}')
    return found


def check_deterministic(pipeline: list, modality: str, where: str,
                        split: Optional[StudentPipeline] = None) -> list[dict]:
    """The teacher's input transforms, refused unless every one is deterministic.

    Args:
        pipeline: The distiller's (training) pipeline.
        modality: The teacher's input name.
        where: The pipeline's place in the config, for the message
            (e.g. ``'train_dataloader.dataset.pipeline'``).
        split: See :func:`teacher_input_transforms`.

    Returns:
        The teacher's input transforms (:func:`teacher_input_transforms`).

    Raises:
        RandomTeacherTransformError: Naming each random or unknown transform.
    """
    path = teacher_input_transforms(pipeline, modality, split)
    found = random_transforms(path)
    if found:
        allowed = ', '.join(sorted(DETERMINISTIC))
        raise RandomTeacherTransformError(
            f'the teacher input {modality!r} passes {"; ".join(found)} in {where}: a teacher '
            'cache holds one output per sample and cannot be exact when the input changes '
            f'from epoch to epoch. Deterministic transforms: {allowed}. Run this direction '
            'with the live teacher (no teacher_cache).')
    return path


def without_modality(pipeline: list, modality: str) -> Optional[list]:
    """The pipeline with the transforms of ``modality`` alone left out and its packer no
    longer packing it (the training pipeline of a run that reads its teacher from a cache).

    Args:
        pipeline: The distiller's pipeline.
        modality: The input to leave out (``model.teacher_input``).

    Returns:
        The new pipeline, or ``None`` when a transform on the modality's path may act on other
        modalities too (it cannot be left out safely; keep the pipeline as it is).
    """
    split = split_student_pipeline(pipeline, modality)
    input_key = split.input_key
    kept, chain, loaded = [], None, split.direct
    for transform in pipeline[:-1]:
        name = short_type(transform)
        if name in LOADERS:
            chain = LOADERS[name]
            loaded = loaded or chain == input_key
        if _own(transform, chain, input_key):
            continue
        if loaded and _touches(transform, chain, input_key):
            return None  # shared by the teacher's input and others: cannot be left out
        kept.append(copy.deepcopy(transform))
    return kept + [_packer_without(pipeline[-1], modality)]


def _packer_without(packer: dict, modality: str) -> dict:
    from fdkd_mm.models.distillers.validation import packed_input_keys
    packed, _ = packed_input_keys([packer])
    arg = PACKERS[short_type(packer)]
    remaining = [key for key in packed if key != modality]
    new = copy.deepcopy(packer)
    if short_type(packer) == 'PackMultiModalSegInputs':
        modalities = dict(packer.get(arg) or {'rgb': 'img', 'depth': 'depth'})
        new[arg] = {key: modalities[key] for key in remaining}
    else:
        new[arg] = tuple(remaining)
    return new
