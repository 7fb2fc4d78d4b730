"""Frequency decoupling with a learnable cutoff (open question 1 of the paper)."""
import math

import torch
from torch import Tensor, nn

from fdkd_mm.models.decouplers.base import BaseDecoupler
from fdkd_mm.registry import MODELS


def soft_band_masks(dim: int, cutoff: Tensor, temperature: float) -> Tensor:
    """Soft low/high masks over the ``dim // 2 + 1`` rfft bins, differentiable in ``cutoff``.

    ``low(k) = sigmoid((c * n + 0.5 - k) / T)`` and ``high(k) = 1 - low(k)`` for the non-DC bins
    ``k = 1 .. n`` (``n = dim // 2``); the DC bin is 0 in both. The edge sits half a bin above
    ``c * n``, so as ``T -> 0`` the low band is bins ``1 .. round(c * n)``: the binary masks of
    ``FrequencyDecoupler(cutoff=c)`` whenever ``c * n`` has a fractional part below 0.5 (e.g.
    cutoff 0.25 / 0.5 / 0.75 with ``n`` divisible by 4). Halfway between bins, a temperature of
    0.01 bins already puts every bin within 2e-22 of 0 or 1.

    Args:
        dim: Feature width D.
        cutoff: Scalar tensor in (0, 1), the low-band fraction of the non-DC bins.
        temperature: Softness of the edge, in bins (> 0).

    Returns:
        Tensor of shape (2, dim // 2 + 1), float32 or ``cutoff``'s wider dtype: low mask, high
        mask.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be positive, got {temperature}')
    dtype = torch.promote_types(cutoff.dtype, torch.float32)
    bins = torch.arange(dim // 2 + 1, device=cutoff.device, dtype=dtype)
    not_dc = (bins > 0).to(dtype)  # DC in neither band: the mean removal of Std
    low = torch.sigmoid((cutoff.to(dtype) * (dim // 2) + 0.5 - bins) / temperature)
    return torch.stack([low * not_dc, (1.0 - low) * not_dc])


@MODELS.register_module()
class LearnableFrequencyDecoupler(BaseDecoupler):
    """FrequencyDecoupler whose cutoff is learned through a soft (sigmoid) band edge.

    The cutoff is parametrised as ``sigmoid(cutoff_logit)``, so it stays in (0, 1) and receives
    gradients from every band loss through the soft masks (:func:`soft_band_masks`). The
    temperature (in bins) is a buffer set from outside, normally by
    :class:`~fdkd_mm.engine.hooks.DecouplerTemperatureHook`, which anneals it toward
    ``final_temperature`` so the masks end binary; it is checkpointed, so a resumed or evaluated
    model decouples as the trained one did. Same forward contract as FrequencyDecoupler:
    ``(low, high)`` shaped and typed like the input, transformed in float32.

    Note that the optimiser's weight decay pulls ``cutoff_logit`` toward 0 (cutoff 0.5); use
    ``paramwise_cfg=dict(custom_keys={'decoupler': dict(decay_mult=0.0)})`` to avoid that.

    Args:
        cutoff: Initial low-band fraction of the non-DC bins, in (0, 1). Defaults to 0.5.
        temperature: Initial temperature in bins. Defaults to 2.0.
        final_temperature: Temperature the schedule ends at. Defaults to 0.01 (binary masks).
        learnable: Train the cutoff. ``False`` keeps a fixed soft edge. Defaults to True.
    """

    def __init__(self, cutoff: float = 0.5, temperature: float = 2.0,
                 final_temperature: float = 0.01, learnable: bool = True) -> None:
        super().__init__()
        if not 0.0 < cutoff < 1.0:
            raise ValueError(f'cutoff must lie in (0, 1), got {cutoff}')
        if temperature <= 0 or final_temperature <= 0:
            raise ValueError(f'temperatures must be positive, got {temperature}, '
                             f'{final_temperature}')
        self.cutoff_logit = nn.Parameter(torch.tensor(math.log(cutoff / (1.0 - cutoff))),
                                         requires_grad=learnable)
        self.register_buffer('temperature', torch.tensor(float(temperature)))
        self.initial_temperature = float(temperature)
        self.final_temperature = float(final_temperature)

    @property
    def cutoff(self) -> float:
        """The current cutoff ratio as a Python float (for logging)."""
        return float(torch.sigmoid(self.cutoff_logit.detach()))

    def cutoff_ratio(self) -> Tensor:
        """The current cutoff ratio as a differentiable scalar tensor."""
        return torch.sigmoid(self.cutoff_logit)

    def set_temperature(self, temperature: float) -> None:
        """Set the temperature (in bins) used by the next forward passes."""
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got {temperature}')
        self.temperature.fill_(float(temperature))

    def masks(self, dim: int) -> Tensor:
        """The current (2, dim // 2 + 1) low/high masks for feature width ``dim``."""
        return soft_band_masks(dim, self.cutoff_ratio(), float(self.temperature))

    def extra_repr(self) -> str:
        return (f'cutoff={self.cutoff:.4f}, temperature={float(self.temperature):.4g}, '
                f'final_temperature={self.final_temperature}, '
                f'learnable={self.cutoff_logit.requires_grad}')

    @property
    def band_names(self) -> tuple[str, ...]:
        return ('low', 'high')

    def check_input(self, x: Tensor) -> None:
        super().check_input(x)
        if x.shape[1] < 4:
            raise ValueError(f'frequency decoupling needs a feature width D >= 4, got '
                             f'D={x.shape[1]}')

    def split(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The soft low and high bands of float32 features (the masks carry the gradient to
        the cutoff, so they are rebuilt every call)."""
        dim = x.shape[1]
        spectrum = torch.fft.rfft(x.movedim(1, -1), dim=-1)
        bands = torch.fft.irfft(spectrum.unsqueeze(-2) * self.masks(dim), n=dim, dim=-1)
        low, high = bands.unbind(-2)
        return low.movedim(-1, 1), high.movedim(-1, 1)
