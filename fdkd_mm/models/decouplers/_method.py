"""How a decoupler's ``method='auto'`` picks between the projection and the FFT."""
import torch

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
