"""Pipelines of a manifest pair: load each modality, resize pixel ones together, pack."""
from typing import Optional, Sequence

from fdkd_mm.datasets.manifest.kinds import PIXEL_KINDS


def loader_cfg(name: str, kind: str, options: dict, train: bool) -> dict:
    """The ``LoadModality`` step of one modality.

    Args:
        name: The modality.
        kind: Its kind.
        options: Kind options (``tokenizer_path``, ``max_length``, ``sample_rate``,
            ``duration``, ``unit_scale``, ``num_frames``).
        train: Training pipeline (random crop of audio and random frames).

    Returns:
        The transform config.
    """
    step = dict(type='fdkd_mm.LoadModality', name=name, kind=kind)
    if kind == 'text':
        step.update(tokenizer_path=options['tokenizer_path'],
                    max_length=options.get('max_length', 64))
    elif kind == 'audio':
        step.update(sample_rate=options.get('sample_rate', 16000),
                    duration=options.get('duration', 3.0),
                    n_fft=options.get('n_fft', 512), hop_length=options.get('hop_length', 256),
                    crop='random' if train else 'start')
    elif kind == 'depth':
        step.update(unit_scale=options.get('unit_scale', 1000.0))
    elif kind == 'video':
        step.update(num_frames=options.get('num_frames', 3), random_frames=train)
    return step


def build_pipeline(modalities: dict, task: str, options: dict, size: Optional[Sequence[int]],
                   train: bool, packed: Sequence[str], plain: bool = False) -> list[dict]:
    """A train or test pipeline loading ``packed`` modalities.

    Args:
        modalities: Every modality of the pair -> kind.
        task: ``'cls'`` or ``'seg'``.
        options: Per modality, its loader options (:func:`loader_cfg`).
        size: (h, w) pixel modalities are resized to; None keeps file sizes.
        train: Training (random flip, label maps resized) or testing (labels kept at their
            size, where mmseg evaluates).
        packed: The modalities to load and pack.
        plain: Pack the single modality as a plain tensor (a Uni model).

    Returns:
        The pipeline.
    """
    steps = [loader_cfg(name, modalities[name], options.get(name, {}), train)
             for name in packed]
    if task == 'seg':
        steps.append(dict(type='fdkd_mm.LoadLabelMap'))
    spatial = any(modalities[name] in (*PIXEL_KINDS, 'video') for name in packed)
    if spatial and size is not None:
        steps.append(dict(type='fdkd_mm.ResizeModalities', scale=(int(size[1]), int(size[0])),
                          resize_labels=train))
    if spatial and train:
        steps.append(dict(type='fdkd_mm.RandomFlipModalities', prob=0.5))
    steps.append(dict(type='fdkd_mm.PackModalityInputs', modalities=tuple(packed), task=task,
                      plain_inputs=plain))
    return steps
