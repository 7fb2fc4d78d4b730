"""The float32 contract every decoupler shares."""
from collections.abc import Callable

import torch
from torch import Tensor


def decouple_in_float32(x: Tensor, split: Callable[[Tensor], tuple[Tensor, ...]]
                        ) -> tuple[Tensor, ...]:
    """Run ``split`` on ``x`` in float32 (float64 stays float64) with autocast off; return the
    bands in ``x``'s dtype.

    rFFTs in half precision are restricted (power-of-two sizes on CUDA, none on CPU), and small
    band differences vanish in bf16, so every decoupler transforms in at least float32.

    Args:
        x: Features of any floating dtype.
        split: Maps float32 (or float64) features to a tuple of bands shaped like them.

    Returns:
        The bands, cast back to ``x.dtype``.
    """
    with torch.autocast(device_type=x.device.type, enabled=False):
        bands = split(x.to(torch.promote_types(x.dtype, torch.float32)))
    return tuple(band.to(x.dtype) for band in bands)
