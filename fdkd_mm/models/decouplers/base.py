"""The contract every decoupler shares: bands shaped like the input, computed in float32."""
from collections.abc import Callable

import torch
from torch import Tensor, nn


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


class BaseDecoupler(nn.Module):
    """Split features into named bands that sum to the (centred) input.

    Subclasses set :attr:`band_names` (lowest band first), say whether every band has zero mean
    along dim 1 (:attr:`zero_channel_mean`: the scale standardization then needs no centring
    pass), and implement :meth:`split` on float32 features of a checked shape. ``forward``
    checks the input, runs :meth:`split` in float32 (also under autocast) and returns the bands
    in the input's dtype.

    Attributes:
        accepted_dims: Tensor ranks the decoupler takes: 2 for (N, D) vectors, 4 for
            (N, D, H, W) maps.
        zero_channel_mean: Every band has zero mean over dim 1 (true for decouplers along the
            feature dimension that drop its DC component; false for the spatial one).
    """

    accepted_dims: tuple[int, ...] = (2, 4)
    zero_channel_mean: bool = True

    @property
    def band_names(self) -> tuple[str, ...]:
        """Names of the bands, lowest first; loss keys and heads are named after them."""
        raise NotImplementedError

    def check_input(self, x: Tensor) -> None:
        """Raise a ValueError naming the shape if ``x`` has a rank the decoupler cannot split.

        Subclasses extend it with their own width checks.
        """
        if x.dim() not in self.accepted_dims:
            layouts = {2: '(N, D)', 4: '(N, D, H, W)'}
            accepted = ' or '.join(layouts[d] for d in self.accepted_dims)
            raise ValueError(f'{type(self).__name__} expects {accepted} features, got shape '
                             f'{tuple(x.shape)}')

    def split(self, x: Tensor) -> tuple[Tensor, ...]:
        """The bands of float32 (or float64) features ``x``, lowest first, shaped like ``x``."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        """Decouple ``x``.

        Args:
            x: Features, (N, D) or (N, D, H, W) as :attr:`accepted_dims` allows.

        Returns:
            One tensor per band (:attr:`band_names`), each shaped and typed like ``x``.
        """
        self.check_input(x)
        return decouple_in_float32(x, self.split)
