"""The teacher's linear classifier in a teacher bank, for label alignment without pairs.

Label alignment (:mod:`fdkd_mm.models.losses.head_label_align`) passes the student's feature
through the teacher's classifier, so a bank that replaces the teacher carries it: tensors
``classifier_weight`` (K, D) and ``classifier_bias`` (K,), and a manifest entry ``classifier``
naming the module it was read from and a SHA-256 of the two tensors. The digest is checked
whenever a bank is set (from a file, the building hook or a checkpoint), so the classifier
cannot drift from the record that names it; the record itself travels with the teacher
checkpoint's SHA-256, which the building hook verifies.
"""
import hashlib
from collections.abc import Mapping
from typing import Optional

from torch import Tensor

CLASSIFIER_KEYS = ('classifier_weight', 'classifier_bias')
MANIFEST_KEY = 'classifier'


def classifier_digest(weight: Tensor, bias: Optional[Tensor]) -> str:
    """SHA-256 of the classifier's float32 values (weight, then bias), device-independent."""
    digest = hashlib.sha256()
    for tensor in (weight, bias):
        if tensor is not None:
            digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def classifier_entry(weight: Tensor, bias: Tensor, path: str) -> tuple[dict, dict]:
    """The bank tensors and manifest record of a linear classifier.

    Args:
        weight: (K, D) weight.
        bias: (K,) bias (zeros for a classifier without one).
        path: The module's path in the teacher, for the record.

    Returns:
        ``(tensors, record)``: CPU float32 copies under :data:`CLASSIFIER_KEYS`, and
        ``dict(path, num_classes, dim, sha256)``.
    """
    weight = weight.detach().float().cpu().clone()
    bias = bias.detach().float().cpu().clone()
    record = dict(path=path, num_classes=int(weight.shape[0]), dim=int(weight.shape[1]),
                  sha256=classifier_digest(weight, bias))
    return dict(classifier_weight=weight, classifier_bias=bias), record


def check_bank_classifier(manifest: Mapping, tensors: Mapping, source: str) -> None:
    """Raise a ValueError naming ``source`` unless the bank's classifier is whole and is the
    one its manifest records. A bank without one passes (not every loss needs it).

    Args:
        manifest: The bank's manifest (``num_classes``, ``dim``, ``classifier``).
        tensors: The bank's tensors.
        source: Where the bank comes from, for messages.
    """
    present = [key for key in CLASSIFIER_KEYS if key in tensors]
    record = manifest.get(MANIFEST_KEY)
    if not present and record is None:
        return
    if len(present) != len(CLASSIFIER_KEYS) or not isinstance(record, Mapping):
        raise ValueError(f'{source}: a teacher classifier needs the tensors '
                         f'{list(CLASSIFIER_KEYS)} and the manifest entry {MANIFEST_KEY!r}; the '
                         f'bank has tensors {present} and entry {record!r}')
    weight, bias = tensors['classifier_weight'], tensors['classifier_bias']
    expected = (manifest.get('num_classes'), manifest.get('dim'))
    if tuple(weight.shape) != expected or tuple(bias.shape) != expected[:1]:
        raise ValueError(f'{source}: teacher bank tensor classifier_weight is '
                         f'{tuple(weight.shape)} and classifier_bias {tuple(bias.shape)}; its '
                         f'manifest (num_classes {expected[0]}, dim {expected[1]}) needs '
                         f'{expected} and {expected[:1]}')
    if classifier_digest(weight, bias) != record.get('sha256'):
        raise ValueError(f'{source}: the teacher classifier in the bank is not the one its '
                         f'manifest records (sha256 {str(record.get("sha256"))[:12]}, module '
                         f'{record.get("path")!r}); build the bank again')
