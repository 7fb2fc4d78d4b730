"""Cross-modal similarity of paired features, raw and per frequency band (paper, Table 1).

Pure torch: the features come from anywhere (see :mod:`fdkd_mm.analysis.features`). A pair is
the features of the *same* sample seen by two models, e.g. a depth and an RGB network, or a
student and its teacher. Vector features (N, D) give one cosine per sample; dense features
(N, D, H, W) one per pixel, each pixel's D-vector compared with the other modality's vector at
the same place.
"""
from collections.abc import Callable
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

Decoupler = Callable[[Tensor], tuple[Tensor, ...]]


def as_vectors(x: Tensor) -> Tensor:
    """Feature vectors as rows: (N, D) unchanged, (N, D, H, W) → (N·H·W, D).

    Args:
        x: Features with the feature dimension at dim 1.

    Returns:
        A 2-D tensor with one feature vector per row.
    """
    if x.dim() == 2:
        return x
    if x.dim() == 4:
        return x.movedim(1, -1).reshape(-1, x.shape[1])
    raise ValueError(f'expected (N, D) or (N, D, H, W) features, got shape {tuple(x.shape)}')


def match_grid(reference: Tensor, other: Tensor) -> Tensor:
    """Resample a dense ``other`` to ``reference``'s (H, W), bilinearly, as the distiller does.

    Args:
        reference: Features whose grid is kept.
        other: Features of the other modality, same N and D.

    Returns:
        ``other``, resized if both are dense maps of different sizes.

    Raises:
        ValueError: If the batch sizes, widths or layouts differ.
    """
    if reference.dim() != other.dim() or reference.shape[:2] != other.shape[:2]:
        raise ValueError(f'paired features must share batch size, width and layout, got '
                         f'{tuple(reference.shape)} and {tuple(other.shape)}; different widths '
                         'cannot be compared by cosine similarity (record a layer of equal '
                         'width, or compare after a projection)')
    if other.dim() == 4 and other.shape[-2:] != reference.shape[-2:]:
        other = F.interpolate(other.float(), size=reference.shape[-2:], mode='bilinear',
                              align_corners=False)
    return other


def paired_cosine(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    """Cosine similarity of each feature vector of ``a`` with the paired one of ``b``.

    Args:
        a: Features (N, D) or (N, D, H, W).
        b: Features of the same shape.
        eps: Norm clamp; an all-zero vector has similarity 0 with anything.

    Returns:
        (N,) or (N·H·W,) float32 similarities.
    """
    return F.cosine_similarity(as_vectors(a.float()), as_vectors(b.float()), dim=1, eps=eps)


def band_names(num_bands: int) -> tuple[str, ...]:
    """Names of a decoupler's bands: ``low``/``high`` for two, ``band0``.. otherwise."""
    return ('low', 'high') if num_bands == 2 else tuple(f'band{i}' for i in range(num_bands))


class BandSimilarity:
    """Running mean of paired cosine similarity for raw features and each decoupled band.

    Feed it batch after batch with :meth:`update`; :meth:`compute` gives the mean over every
    pair seen (samples for vectors, pixels for dense maps). Both modalities are decoupled with
    the same decoupler (same cutoff), so the bands are comparable.

    Args:
        decoupler: Callable returning the bands of a feature tensor, e.g.
            ``FrequencyDecoupler(cutoff=0.5)``; ``None`` computes the raw similarity only.
    """

    def __init__(self, decoupler: Optional[Decoupler] = None) -> None:
        self.decoupler = decoupler
        self._sums: dict[str, float] = {}
        self._count = 0

    @torch.no_grad()
    def update(self, a: Tensor, b: Tensor) -> None:
        """Add the pairs of one batch.

        Args:
            a: Features of modality a, (N, D) or (N, D, H, W).
            b: Paired features of modality b; a dense map is resized to ``a``'s grid.
        """
        b = match_grid(a, b)
        pairs = {'raw': (a, b)}
        if self.decoupler is not None:
            bands_a, bands_b = self.decoupler(a.float()), self.decoupler(b.float())
            pairs.update(zip(band_names(len(bands_a)), zip(bands_a, bands_b)))
        count = 0
        for name, (left, right) in pairs.items():
            cosine = paired_cosine(left, right)
            self._sums[name] = self._sums.get(name, 0.0) + float(cosine.double().sum())
            count = cosine.numel()
        self._count += count

    @property
    def count(self) -> int:
        """Number of pairs seen."""
        return self._count

    def compute(self) -> dict[str, float]:
        """Mean similarity per feature kind: ``raw``, then each band (``low``, ``high``, ...)."""
        if not self._count:
            raise RuntimeError('no features were added')
        return {name: total / self._count for name, total in self._sums.items()}


def band_similarity(a: Tensor, b: Tensor, decoupler: Optional[Decoupler] = None
                    ) -> dict[str, float]:
    """Mean paired cosine similarity of raw features and of each band, in one call.

    Args:
        a: Features of modality a, (N, D) or (N, D, H, W).
        b: Paired features of modality b.
        decoupler: Band decoupler applied to both (e.g. ``FrequencyDecoupler(0.5)``).

    Returns:
        ``{'raw': ..., 'low': ..., 'high': ...}`` (``band{i}`` keys for K != 2 bands).
    """
    meter = BandSimilarity(decoupler)
    meter.update(a, b)
    return meter.compute()
