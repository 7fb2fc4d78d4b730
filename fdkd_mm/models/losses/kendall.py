"""Batched Kendall rank correlation (τ-b) in torch, row by row.

For two rows x, y of length C, with sx_ij = sign(x_i − x_j) and sy_ij = sign(y_i − y_j)::

    τ_b = Σ_{i<j} sx_ij·sy_ij / sqrt(Σ_{i<j} sx_ij² · Σ_{i<j} sy_ij²)

The numerator is (concordant − discordant) pairs; Σ sx² counts the pairs not tied in x, i.e.
n₀ − n₁ in the usual notation, so ties are handled exactly as ``scipy.stats.kendalltau``'s
default ``variant='b'``. A row that is constant in x or y gives 0/0 = NaN, as scipy does; a
comparison such as ``tau > threshold`` is then False.

Rows are computed together on the tensors' device with (rows, C, C) sign tensors, in chunks of
at most ``chunk_rows`` rows (dense C2KD ranks every pixel: 2 × 120 × 160 rows of 40 classes):
no per-row Python loop and no host synchronisation. Memory is O(chunk·C²) (64 rows, C = 309
for VGGSound: 6 M elements per tensor). Sums are float32: exact while C² < 2²⁴ (C ≤ 4096).
"""
import torch
from torch import Tensor


def kendall_tau(x: Tensor, y: Tensor, chunk_rows: int = 4096) -> Tensor:
    """Kendall τ-b between corresponding rows of ``x`` and ``y``.

    Args:
        x: (N, C) tensor.
        y: (N, C) tensor.
        chunk_rows: Rows ranked together (bounds the (rows, C, C) temporaries).

    Returns:
        (N,) float32 correlations in [−1, 1] (NaN for a constant row). Not differentiable
        (ranks have no useful gradient); inputs may be detached or not.
    """
    if x.shape != y.shape or x.dim() != 2:
        raise ValueError(f'expected two (N, C) tensors of the same shape, got '
                         f'{tuple(x.shape)} and {tuple(y.shape)}')
    if x.shape[0] > chunk_rows:
        return torch.cat([kendall_tau(a, b, chunk_rows) for a, b in
                          zip(x.split(chunk_rows), y.split(chunk_rows))])
    x = x.detach().float()
    y = y.detach().float()
    # The full (i, j) grid counts every unordered pair twice in both numerator and
    # denominator, so the ratio equals the i < j version.
    sign_x = torch.sign(x[:, :, None] - x[:, None, :])
    sign_y = torch.sign(y[:, :, None] - y[:, None, :])
    concordance = (sign_x * sign_y).sum(dim=(1, 2))
    untied_x = sign_x.abs().sum(dim=(1, 2))
    untied_y = sign_y.abs().sum(dim=(1, 2))
    return concordance / (untied_x.sqrt() * untied_y.sqrt())
