"""Band filtering along dim 1 shared by the decouplers: projection or FFT, and 'auto'."""
import torch
from torch import Tensor

# Widest D for which 'auto' uses the precomputed projection rather than rfft/irfft. On CPU
# (2 threads, fwd + bwd on (2, D, 30, 40)) the product wins at D=128 (3.6 vs 4.8 ms) and loses
# from D=256 (11.9 vs 10.1 ms; 132 vs 52 ms at 1024). Other devices: GEMMs are cheap there;
# 1024 is a guess awaiting a GPU measurement (tools/analysis/benchmark_distill.py).
_MATMUL_MAX_DIM = {'cpu': 128}
_MATMUL_MAX_DIM_DEFAULT = 1024


def resolve_method(method: str, dim: int, device: torch.device) -> str:
    """``'matmul'`` or ``'fft'`` for a decoupler's ``method`` argument (``'auto'`` resolved)."""
    if method != 'auto':
        return method
    return 'matmul' if dim <= _MATMUL_MAX_DIM.get(device.type, _MATMUL_MAX_DIM_DEFAULT) else 'fft'


def split_bands(x: Tensor, method: str, filters: Tensor) -> tuple[Tensor, ...]:
    """Split ``x`` into K bands along dim 1 by filtering only the K-1 lower ones.

    With the DC bin in no band, the bands sum to ``x - mean(x)``, so the top band is that minus
    the filtered ones, exactly (up to float rounding) and without a transform of its own.

    Args:
        x: Float features (N, D) or (N, D, H, W).
        method: ``'matmul'`` or ``'fft'`` (see :func:`resolve_method`).
        filters: For ``'matmul'`` the transposes of the K-1 band projections ``P_i`` (band
            ``i`` of a row vector is ``x @ P_i``) stacked into a ((K-1)*D, D) matrix; for
            ``'fft'`` their (K-1, D//2+1) rfft masks.

    Returns:
        K tensors shaped like ``x``, lowest band first.
    """
    dim = x.shape[1]
    if method == 'matmul':
        filters = filters.to(x.dtype)
        if x.dim() == 2:
            lower = (x @ filters.t()).split(dim, dim=-1)
        else:
            # Per sample on the contiguous (N, D, H*W) view: no channels-last copy either way.
            stacked = torch.matmul(filters, x.flatten(2))  # (N, (K-1)*D, H*W)
            lower = stacked.view(x.shape[0], -1, *x.shape[1:]).unbind(1)
    else:
        spectrum = torch.fft.rfft(x.movedim(1, -1), dim=-1)
        lower = torch.fft.irfft(spectrum.unsqueeze(-2) * filters, n=dim, dim=-1).unbind(-2)
        lower = tuple(band.movedim(-1, 1) for band in lower)
    top = x - x.mean(dim=1, keepdim=True) - sum(lower)
    return (*lower, top)
