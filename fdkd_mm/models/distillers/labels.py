"""The labels (and per-sample metainfo) of a batch, as the distillation losses take them."""
import torch
from torch import Tensor


def gather_labels(data_samples: list) -> Tensor:
    """Stack the labels of a batch: (N,) class indices or (N, H, W) label maps.

    Args:
        data_samples: mmpretrain ``DataSample`` (``gt_label``) or mmseg ``SegDataSample``
            (``gt_sem_seg``) objects.

    Returns:
        Long tensor of labels.
    """
    first = data_samples[0]
    if 'gt_sem_seg' in first:
        return torch.stack([s.gt_sem_seg.data[0] for s in data_samples]).long()
    if 'gt_label' in first:
        return torch.cat([s.gt_label.reshape(-1)[:1] for s in data_samples]).long()
    raise KeyError(f'data samples of type {type(first).__name__} carry neither gt_label nor '
                   f'gt_sem_seg; fields present: {sorted(first.keys())}')


def gather_metainfo(data_samples: list, key: str) -> Tensor:
    """Stack one metainfo value per sample, e.g. ``sample_idx`` (CRD's memory rows).

    Args:
        data_samples: Data samples whose ``metainfo`` holds ``key``.
        key: The metainfo key.

    Returns:
        Tensor of the values, one per sample, in batch order.

    Raises:
        KeyError: A data sample without ``key``, naming its position and how to add it.
    """
    values = []
    for position, sample in enumerate(data_samples):
        if key not in sample.metainfo:
            raise KeyError(f'data sample {position} of the batch carries no metainfo {key!r} '
                           f'(present: {sorted(sample.metainfo)}); add {key!r} to the packing '
                           "transform's meta_keys")
        values.append(sample.metainfo[key])
    return torch.as_tensor(values)
