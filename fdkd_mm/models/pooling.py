"""Pooling of recorded tensors, as a recorder's ``pool`` option asks (one rule for all users)."""
from typing import Optional

from torch import Tensor

#: Valid values of a recorder's ``pool``.
POOL_MODES = (None, 'avg', 'frames', 'tokens')


def pool_recorded(feature: Tensor, batch_size: int, pool: Optional[str]) -> Tensor:
    """Pool a recorded tensor to the batch's samples.

    Video students fold their T frames into the batch (row ``n*T + t``, sample-major), so a
    recorded tensor may have N·T rows; both pooling modes average those frames.

    Args:
        feature: Recorded tensor, (B, D) or (B, D, H, W) with ``B = N`` or ``B = N·T``.
        batch_size: Number of samples N.
        pool: ``None`` keeps the tensor (``B`` must be N), ``'avg'`` averages space and frames
            to (N, D), ``'frames'`` averages only the frames and keeps maps (N, D, H, W)
            (spatial losses such as AFD, PKD, OFD on video), ``'tokens'`` lays a (N, L, D)
            token sequence out as an (N, D, L, 1) map (spatial losses on text).

    Returns:
        The pooled tensor.

    Raises:
        ValueError: For an unknown mode, or a batch that is not a multiple of N.
    """
    if pool not in POOL_MODES:
        raise ValueError(f'pool must be one of {POOL_MODES}, got {pool!r}')
    if pool == 'tokens':
        if feature.dim() != 3 or feature.shape[0] != batch_size:
            raise ValueError(f"pool='tokens' needs (N, L, D) token states of the batch of "
                             f'{batch_size}, got shape {tuple(feature.shape)}')
        return feature.transpose(1, 2).unsqueeze(-1)
    if feature.shape[0] % batch_size:
        raise ValueError(f'recorded tensor of shape {tuple(feature.shape)}: its batch '
                         f'{feature.shape[0]} is not a multiple of the batch size {batch_size}')
    if pool is None:
        if feature.shape[0] != batch_size:
            raise ValueError(f'recorded tensor of shape {tuple(feature.shape)} does not match '
                             f'the batch of {batch_size}; set pool="avg" or "frames" for '
                             'folded frames')
        return feature
    if pool == 'avg' and feature.dim() > 2:
        feature = feature.flatten(2).mean(-1)
    if feature.shape[0] != batch_size:
        feature = feature.view(batch_size, -1, *feature.shape[1:]).mean(1)
    return feature
