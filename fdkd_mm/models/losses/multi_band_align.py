"""Per-band alignment losses for K frequency bands (generalises Eq. 8-9 to MultiBandDecoupler)."""
from collections.abc import Sequence
from typing import Literal, Optional, Union

from torch import Tensor, nn

from fdkd_mm.models.losses.frequency_align import FrequencyAlignLoss
from fdkd_mm.registry import MODELS

Mode = Literal['mse', 'log_mse']


@MODELS.register_module()
class MultiBandAlignLoss(nn.Module):
    """One :class:`FrequencyAlignLoss` per band, each with its own mode and weight.

    The default follows the two-band method: the lowest band is aligned strongly (``'mse'``),
    every higher band weakly (``'log_mse'``), all with weight 1. With two bands and the default
    modes this is exactly the pair ``low_loss`` / ``high_loss`` of the FD distiller.

    Args:
        num_bands: Number of bands K (``len(cutoffs) + 1`` of the decoupler).
        modes: One mode per band, or one mode for all. ``None``: ``'mse'`` for band 0,
            ``'log_mse'`` for the rest.
        loss_weights: One weight per band, or one for all. Defaults to 1.0.
        standardize: Apply ``Std`` before each loss (the "Scale" switch). Defaults to True.
        eps: Norm clamp of ``Std``.
        **loss_kwargs: Further :class:`FrequencyAlignLoss` arguments shared by every band
            (e.g. ``centre=False``, which the FD distiller sets for bands without DC).
    """

    def __init__(self, num_bands: int, modes: Optional[Union[Mode, Sequence[Mode]]] = None,
                 loss_weights: Union[float, Sequence[float]] = 1.0, standardize: bool = True,
                 eps: float = 1e-8, **loss_kwargs) -> None:
        super().__init__()
        if num_bands < 2:
            raise ValueError(f'num_bands must be at least 2, got {num_bands}')
        if modes is None:
            modes = ['mse'] + ['log_mse'] * (num_bands - 1)
        modes = [modes] * num_bands if isinstance(modes, str) else list(modes)
        if isinstance(loss_weights, (int, float)):
            loss_weights = [float(loss_weights)] * num_bands
        loss_weights = list(loss_weights)
        if len(modes) != num_bands or len(loss_weights) != num_bands:
            raise ValueError(f'give one mode and one weight per band (or one for all): '
                             f'{num_bands} bands, {len(modes)} modes, '
                             f'{len(loss_weights)} weights')
        self.losses = nn.ModuleList(
            FrequencyAlignLoss(mode=mode, standardize=standardize, loss_weight=weight, eps=eps,
                               **loss_kwargs)
            for mode, weight in zip(modes, loss_weights))

    @property
    def num_bands(self) -> int:
        return len(self.losses)

    def forward(self, student_bands: Sequence[Tensor],
                teacher_bands: Sequence[Tensor]) -> list[Tensor]:
        """Weighted loss of every band.

        Args:
            student_bands: K student band features, lowest band first.
            teacher_bands: K teacher band features of the same shapes (detached inside).

        Returns:
            K scalar losses, lowest band first.
        """
        if len(student_bands) != self.num_bands or len(teacher_bands) != self.num_bands:
            raise ValueError(f'{type(self).__name__} has {self.num_bands} bands, got '
                             f'{len(student_bands)} student and {len(teacher_bands)} teacher '
                             'bands')
        return [loss(s, t) for loss, s, t in zip(self.losses, student_bands, teacher_bands)]
