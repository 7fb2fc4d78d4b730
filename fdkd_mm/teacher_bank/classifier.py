"""Read the teacher's linear classifier into the bank being built (label alignment needs it).

``teacher_bank.classifier`` names the module: ``'auto'`` (default) takes the module the
``logits`` recorder records when it is an ``nn.Linear`` from the bank's feature width to its
classes (mmpretrain's ``head.fc``), and keeps none otherwise (e.g. a segmentation head, whose
dense banks need no classifier); a path must name such a Linear; ``None`` keeps none.
"""
from collections.abc import Mapping
from typing import Optional

import torch
from mmengine.logging import print_log
from torch import nn

from fdkd_mm.models.banks import classifier_entry

SETTING = 'teacher_bank.classifier'


def _linear_at(teacher: nn.Module, path: str) -> Optional[nn.Linear]:
    try:
        module = teacher.get_submodule(path)
    except AttributeError:
        return None
    return module if isinstance(module, nn.Linear) else None


def teacher_classifier(teacher: nn.Module, setting: Optional[str], recorders: Mapping,
                       num_classes: int, dim: int) -> Optional[tuple[dict, dict]]:
    """The bank tensors and manifest record of the teacher's classifier, or None.

    Args:
        teacher: The loaded teacher network.
        setting: ``teacher_bank.classifier`` (``'auto'``, a module path or None).
        recorders: ``teacher_bank.recorders`` (``'auto'`` reads the ``logits`` path).
        num_classes: The bank's classes K.
        dim: The bank's feature width D.

    Returns:
        ``(tensors, record)`` of :func:`~fdkd_mm.models.banks.classifier_entry`, or None.

    Raises:
        ValueError: A named path is not an ``nn.Linear`` of shape (K, D) (path and shape
            named).
    """
    if setting is None:
        return None
    path = str((recorders.get('logits') or {}).get('path')) if setting == 'auto' else setting
    linear = _linear_at(teacher, path)
    fits = linear is not None and (linear.out_features, linear.in_features) == (num_classes, dim)
    if not fits:
        found = (f'an nn.Linear({linear.in_features}, {linear.out_features})' if linear is not None
                 else 'not an nn.Linear')
        text = (f'{SETTING}: the teacher module {path!r} is {found}; label alignment needs the '
                f'classifier from the feature width {dim} to the {num_classes} classes')
        if setting != 'auto':
            raise ValueError(text)
        print_log(f'{text}: the bank keeps no classifier', logger='current', level=20)
        return None
    bias = linear.bias if linear.bias is not None else torch.zeros(num_classes)
    return classifier_entry(linear.weight, bias, path)
