"""Running feature statistics for the analysis figures: per-dimension means, rfft energy, points.

Pure torch and streaming: the tools feed one batch at a time, so a whole split never has to be
held in memory (dense maps give H·W vectors per image).
"""
from collections.abc import Sequence
from typing import Optional

import torch
from torch import Tensor

from fdkd_mm.analysis.similarity import as_vectors
from fdkd_mm.models.resize import resize_labels
from fdkd_mm.models.decouplers import band_bins


class DimensionMeans:
    """Mean of each feature dimension over every vector seen (the paper's Figure 1)."""

    def __init__(self) -> None:
        self._sum: Optional[Tensor] = None
        self._count = 0

    @torch.no_grad()
    def update(self, features: Tensor) -> None:
        """Add a batch of (N, D) or (N, D, H, W) features."""
        rows = as_vectors(features).double()
        total = rows.sum(0)
        self._sum = total if self._sum is None else self._sum + total
        self._count += rows.shape[0]

    def compute(self) -> Tensor:
        """(D,) float64 means."""
        if self._sum is None:
            raise RuntimeError('no features were added')
        return self._sum / self._count


class SpectrumEnergy:
    """Mean energy ``|rfft(v)_k|^2 / D`` of each rfft bin k of the feature vectors ``v``.

    The spectrum is taken along the feature dimension D, the axis the FrequencyDecoupler
    splits; bin 0 is the DC (mean) component that neither band keeps.
    """

    def __init__(self) -> None:
        self._sum: Optional[Tensor] = None
        self._count = 0
        self.dim: Optional[int] = None

    @torch.no_grad()
    def update(self, features: Tensor) -> None:
        """Add a batch of (N, D) or (N, D, H, W) features."""
        rows = as_vectors(features).double()
        self.dim = rows.shape[1]
        energy = (torch.fft.rfft(rows, dim=1).abs() ** 2 / self.dim).sum(0)
        self._sum = energy if self._sum is None else self._sum + energy
        self._count += rows.shape[0]

    def compute(self) -> Tensor:
        """(D // 2 + 1,) float64 mean energy per bin."""
        if self._sum is None:
            raise RuntimeError('no features were added')
        return self._sum / self._count


def low_band_fraction(energy: Tensor, dim: int, cutoff: float) -> float:
    """Fraction of the non-DC energy that lies in the low band of ``FrequencyDecoupler(cutoff)``.

    Mirrored bins (all but DC and, for even D, Nyquist) carry their energy twice in the full
    spectrum; the weights account for that, so the fraction equals
    ``||X_low||^2 / (||X_low||^2 + ||X_high||^2)`` (Parseval).

    Args:
        energy: (D // 2 + 1,) one-sided bin energies from :class:`SpectrumEnergy`.
        dim: Feature width D.
        cutoff: Low-band fraction of the non-DC bins.

    Returns:
        The low-band share of the energy, in [0, 1].
    """
    weights = torch.full_like(energy, 2.0)
    weights[0] = 1.0
    if dim % 2 == 0:
        weights[-1] = 1.0
    low, high = band_bins(dim, cutoff)
    weighted = energy * weights
    low_energy = weighted[low.start:low.stop].sum()
    return float(low_energy / (low_energy + weighted[high.start:high.stop].sum()))


def sample_points(features: Sequence[Tensor], labels: Optional[Tensor], per_sample: int,
                  generator: torch.Generator, ignore_index: int = 255
                  ) -> tuple[list[Tensor], Optional[Tensor]]:
    """Pick the same points from paired features for an embedding plot.

    Vector features give every sample. Dense maps give up to ``per_sample`` random labelled
    pixels per image, the *same* pixels in every modality (the maps must share their grid: see
    :func:`fdkd_mm.analysis.similarity.match_grid`), with the label map resized (nearest) to
    the grid and ignored pixels skipped.

    Args:
        features: Paired features of one batch, all (N, D) or all (N, D, H, W) on one grid.
        labels: (N,) class indices or (N, H, W) label maps; ``None`` when unknown.
        per_sample: Pixels drawn per image from dense maps.
        generator: Random generator for the pixel choice.
        ignore_index: Label value of unlabelled pixels.

    Returns:
        The picked rows of each feature tensor and their labels.
    """
    first = features[0]
    if first.dim() == 2:
        return [f.float() for f in features], labels
    grid = first.shape[-2:]
    picked: list[list[Tensor]] = [[] for _ in features]
    picked_labels = []
    label_maps = resize_labels(labels, grid) if labels is not None else None
    for index in range(first.shape[0]):
        flat = (label_maps[index].reshape(-1) if label_maps is not None
                else torch.zeros(grid.numel(), dtype=torch.long))
        valid = torch.nonzero(flat != ignore_index).squeeze(1)
        choice = valid[torch.randperm(valid.numel(), generator=generator)[:per_sample]]
        for rows, feature in zip(picked, features):
            rows.append(feature[index].flatten(1)[:, choice].T.float())
        picked_labels.append(flat[choice])
    out_labels = torch.cat(picked_labels) if label_maps is not None else None
    return [torch.cat(rows) for rows in picked], out_labels
