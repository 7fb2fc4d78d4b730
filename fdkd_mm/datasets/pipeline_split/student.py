"""The test pipeline of a distiller's student alone: its modality's transforms, packed plainly.

A distiller's test pipeline loads every modality of a sample and packs them into a dict
(``PackMultiModalSegInputs``, ``PackAudioVisualInputs``, ``PackTextImageInputs``). The
student needs only its own: :func:`split_student_pipeline` keeps the transforms of the
student's modality and says which data-info key feeds it (what an inferencer fills in from a
file), and :func:`unimodal_packer` packs that modality as the plain ``inputs`` tensor an
ordinary mmseg / mmpretrain model takes.

Transforms are assigned to modalities by their loaders: a loader (:data:`LOADERS`) starts the
chain of its modality, which runs up to the next loader. Label loading (``LoadAnnotations``)
serves every modality and is kept without starting a chain.
"""
import copy
import inspect
from dataclasses import dataclass
from typing import Any

from fdkd_mm.errors import ConfigError

#: Loading transforms (short type) → the data-info key they read.
LOADERS = {
    'LoadImageFromFile': 'img_path',
    'LoadDepthFromFile': 'depth_path',
    'LoadWaveform': 'audio_path',
    'LoadSpectrogram': 'audio_path',
    'SampleFrames': 'frame_dir',
    'TokenizeText': 'text',
}
LABEL_LOADERS = ('LoadAnnotations',)
#: Results key of a packed modality → the data-info key its loader reads.
INPUT_KEYS = {'img': 'img_path', 'depth': 'depth_path', 'audio': 'audio_path',
              'visual': 'frame_dir', 'text': 'text'}
#: Packing transforms and the argument naming their modalities.
PACKERS = {'PackMultiModalSegInputs': 'modalities', 'PackAudioVisualInputs': 'keys',
           'PackTextImageInputs': 'modalities', 'PackModalityInputs': 'modalities'}
#: Steps of a manifest pipeline that serve every modality (``fdkd_mm.ManifestDataset``).
MANIFEST_SHARED = ('LoadLabelMap', 'ResizeModalities', 'RandomFlipModalities')


def short_type(transform: dict) -> str:
    """``'fdkd_mm.LoadDepthFromFile'`` → ``'LoadDepthFromFile'``."""
    return str(transform.get('type', '')).rsplit('.', 1)[-1]


@dataclass
class StudentPipeline:
    """The student's part of a distiller's test pipeline.

    Attributes:
        transforms: The modality's transforms (and label loading), without the packer.
        packer: The distiller's packing transform (all modalities).
        modality: The student's input name (``model.student_input``).
        results_key: Where the pipeline keeps the modality (``'img'``, ``'depth'``, ...).
        input_key: The data-info key its loader reads (``'img_path'``, ``'audio_path'``...).
        direct: The modality has no loader: the dataset's data info holds it already under
            ``input_key`` (AV-MNIST's arrays), so every transform may reach it.
    """
    transforms: list
    packer: dict
    modality: str
    results_key: str
    input_key: str
    direct: bool = False


def _packer_argument(packer: dict) -> Any:
    from fdkd_mm.registry import TRANSFORMS
    name = short_type(packer)
    arg = PACKERS[name]
    if arg in packer:
        return copy.deepcopy(packer[arg])
    return inspect.signature(TRANSFORMS.get(name).__init__).parameters[arg].default


def _results_key(packer: dict, modality: str) -> str:
    name, packed = short_type(packer), _packer_argument(packer)
    if name == 'PackMultiModalSegInputs':
        key = dict(packed).get(modality)
    elif name == 'PackAudioVisualInputs':
        key = modality if modality in packed else None
    else:  # PackTextImageInputs packs 'image' from results['img'], 'text' from its tokens
        key = dict(image='img', text='text').get(modality) if modality in list(packed) else None
    if key is None:
        raise KeyError(f'the test pipeline\'s {name} does not pack the student\'s modality '
                       f'{modality!r} (it packs {packed!r})')
    return key


def split_student_pipeline(pipeline: list, modality: str) -> StudentPipeline:
    """Keep the transforms of ``modality`` from a distiller's test pipeline.

    Args:
        pipeline: The distiller's test pipeline, ending with one of :data:`PACKERS`.
        modality: The student's input name (``model.student_input``).

    Returns:
        The student's transforms, the packer and the keys of its modality.

    Raises:
        ValueError: The pipeline does not end with a known packer, or has no loader for the
            modality.
        KeyError: The packer does not pack ``modality``.
    """
    if not pipeline or short_type(pipeline[-1]) not in PACKERS:
        raise ValueError(f'expected a test pipeline ending with one of {sorted(PACKERS)}, got '
                         f'{[t.get("type") for t in pipeline or []]}')
    packer = copy.deepcopy(pipeline[-1])
    if short_type(packer) == 'PackModalityInputs':
        return _split_manifest_pipeline(pipeline, packer, modality)
    results_key = _results_key(packer, modality)
    if not any(short_type(t) in LOADERS for t in pipeline[:-1]):
        # No loader at all: the dataset's data info holds the modality (AV-MNIST's arrays).
        kept = [copy.deepcopy(t) for t in pipeline[:-1] if short_type(t) in LABEL_LOADERS]
        return StudentPipeline(kept, packer, modality, results_key, results_key, direct=True)
    if results_key not in INPUT_KEYS:
        stacked = [t for t in pipeline[:-1] if short_type(t) == 'StackModalities'
                   and t.get('out_key', 'rgbd') == results_key]
        if stacked:
            sources = list(stacked[0].get('keys', ('img', 'depth')))
            raise ConfigError(
                f'modality {modality!r} is stacked from {sources} by StackModalities after '
                'their own transforms (an early-fusion input): it has no loader of its own to '
                'split off or to cache. Train with the live teacher (no teacher cache).')
        raise ConfigError(f'no known loader fills results[{results_key!r}] (modality '
                          f'{modality!r}); known: {sorted(INPUT_KEYS)}')
    input_key = INPUT_KEYS[results_key]
    kept, chain = [], None
    for transform in pipeline[:-1]:
        name = short_type(transform)
        if name in LOADERS:
            chain = LOADERS[name]
        if name in LABEL_LOADERS or chain == input_key:
            kept.append(copy.deepcopy(transform))
    if not any(LOADERS.get(short_type(t)) == input_key for t in kept):
        raise ValueError(f'the test pipeline has no loader reading {input_key!r} for the '
                         f'student\'s modality {modality!r}')
    return StudentPipeline(kept, packer, modality, results_key, input_key)


def _split_manifest_pipeline(pipeline: list, packer: dict, modality: str) -> StudentPipeline:
    """The student's part of a manifest pipeline: its ``LoadModality`` and the shared steps."""
    if modality not in list(_packer_argument(packer)):
        raise KeyError(f"the test pipeline's PackModalityInputs does not pack the student's "
                       f'modality {modality!r} (it packs {_packer_argument(packer)!r})')
    kept, loader = [], None
    for transform in pipeline[:-1]:
        name = short_type(transform)
        if name == 'LoadModality' and transform.get('name') == modality:
            loader = transform
            kept.append(copy.deepcopy(transform))
        elif name in MANIFEST_SHARED:
            kept.append(copy.deepcopy(transform))
    if loader is None:
        raise ValueError(f'the test pipeline has no LoadModality for the student\'s modality '
                         f'{modality!r}')
    input_key = f'{modality}_text' if loader.get('kind') == 'text' else f'{modality}_path'
    return StudentPipeline(kept, packer, modality, modality, input_key)


def unimodal_packer(packer: dict, modality: str) -> dict:
    """The distiller's packer restricted to ``modality``, packing it as a plain tensor.

    Args:
        packer: One of :data:`PACKERS`, as in the distiller's pipeline.
        modality: The student's input name.

    Returns:
        The packer config for a unimodal pipeline (``inputs`` is the modality's tensor).
    """
    name, packed = short_type(packer), _packer_argument(packer)
    single = copy.deepcopy(packer)
    if name == 'PackMultiModalSegInputs':
        single.update(modalities={modality: dict(packed)[modality]}, plain_inputs=True)
    elif name == 'PackAudioVisualInputs':
        single.update(keys=(modality, ), plain_inputs=True)
    else:  # PackTextImageInputs, PackModalityInputs
        single.update(modalities=(modality, ), plain_inputs=True)
    return single
