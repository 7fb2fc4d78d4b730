"""Class-conditional statistics of feature rows: of one batch (differentiable, on the device)
and of a whole dataset (streamed, float64 sums on the CPU).

A *row* is one sample's D-vector, or one pixel's for dense (N, D, h, w) maps; a dense label map
is resized (nearest) to the map's grid, and rows whose label is the ignore index, or no class
at all, do not count. The teacher bank (:class:`BankAccumulator`) and the unpaired losses
(:func:`class_statistics`) summarise rows the same way, so a student whose rows are the
teacher's gets exactly the bank's statistics.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import torch
from mmengine.logging import print_log
from torch import Tensor

from fdkd_mm.models.resize import resize_labels
from fdkd_mm.errors import BankError


class MissingClassError(BankError):
    """A class has no sample in the teacher's data, so the bank cannot describe it."""


def to_rows(x: Tensor) -> Tensor:
    """(N, D) as it is; (N, D, h, w) as (N·h·w, D), one row per pixel (sample-major)."""
    if x.dim() == 2:
        return x
    if x.dim() == 4:
        return x.permute(0, 2, 3, 1).reshape(-1, x.shape[1])
    raise ValueError(f'expected (N, D) vectors or (N, D, h, w) maps, got shape {tuple(x.shape)}')


def row_labels(labels: Tensor, like: Tensor) -> Tensor:
    """The label of every row of ``to_rows(like)``.

    Args:
        labels: (N,) class ids for vectors, (N, H, W) or (N, 1, H, W) label maps for maps.
        like: The (N, D) or (N, D, h, w) tensor whose rows are labelled.

    Returns:
        (M,) long labels.
    """
    if like.dim() == 2:
        if labels.dim() != 1 or labels.shape[0] != like.shape[0]:
            raise ValueError(f'(N, D) features of shape {tuple(like.shape)} need (N,) class '
                             f'labels, got shape {tuple(labels.shape)}')
        return labels.long()
    if labels.dim() not in (3, 4) or labels.shape[0] != like.shape[0]:
        raise ValueError(f'(N, D, h, w) maps of shape {tuple(like.shape)} need (N, H, W) label '
                         f'maps, got shape {tuple(labels.shape)}')
    return resize_labels(labels, like.shape[-2:]).reshape(-1).long()


def valid_rows(labels: Tensor, num_classes: int, ignore_index: int) -> Tensor:
    """Rows whose label is a class: not the ignore index and in ``0..num_classes-1``."""
    return (labels != ignore_index) & (labels >= 0) & (labels < num_classes)


@dataclass
class ClassStats:
    """Per-class statistics of rows.

    Attributes:
        counts: (K,) number of rows of each class.
        means: (K, D) mean row of each class (0 for absent classes).
        variances: (K, D) unbiased per-dimension variance (0 where a class has < 2 rows), or
            None when not asked for.
    """
    counts: Tensor
    means: Tensor
    variances: Optional[Tensor] = None


def class_statistics(rows: Tensor, labels: Tensor, num_classes: int, ignore_index: int = 255,
                     with_variance: bool = False) -> ClassStats:
    """Class counts, means (and variances) of a batch's rows, differentiable w.r.t. ``rows``.

    Computed with masks instead of boolean indexing, so no host synchronisation.

    Args:
        rows: (M, D) float rows.
        labels: (M,) labels; rows of other labels than the classes do not count.
        num_classes: K.
        ignore_index: The ignored label.
        with_variance: Also the unbiased per-dimension variances (two-pass, exact).

    Returns:
        The statistics in ``rows``' dtype.
    """
    valid = valid_rows(labels, num_classes, ignore_index)
    index = torch.where(valid, labels, torch.zeros_like(labels))
    weight = valid.to(rows.dtype)
    counts = rows.new_zeros(num_classes).index_add(0, index, weight)
    sums = rows.new_zeros(num_classes, rows.shape[1]).index_add(0, index, rows * weight[:, None])
    means = sums / counts.clamp_min(1.0)[:, None]
    variances = None
    if with_variance:
        centred = (rows - means[index]) * weight[:, None]
        squares = rows.new_zeros(num_classes, rows.shape[1]).index_add(0, index, centred ** 2)
        variances = squares / (counts - 1.0).clamp_min(1.0)[:, None]
    return ClassStats(counts, means, variances)


class BankAccumulator:
    """Streaming per-class sums of band rows and predictions over a dataset, in float64.

    Feed it batch by batch (:meth:`add`) with the standardised bands and the softmax
    predictions of the teacher; :meth:`finalize` returns the bank's tensors. Sums are exact
    enough in float64 that the order of the data changes the statistics only in the last bits
    (the test shuffles the teacher data). Per-sample features of pooled (N, D) features may be
    kept too; they are stored sorted by sample key, so the same samples in another order give
    the identical feature bank.

    Args:
        num_classes: K.
        num_bands: Number of bands B.
        dim: Feature width D.
        ignore_index: The ignored label of dense maps.
        keep_samples: Keep every sample's feature (pooled features only).
    """

    def __init__(self, num_classes: int, num_bands: int, dim: int, ignore_index: int = 255,
                 keep_samples: bool = False) -> None:
        self.num_classes, self.num_bands, self.dim = num_classes, num_bands, dim
        self.ignore_index = ignore_index
        self.keep_samples = keep_samples
        f64 = dict(dtype=torch.float64)
        self.counts = torch.zeros(num_classes, **f64)
        self.sums = torch.zeros(num_bands, num_classes, dim, **f64)
        self.squares = torch.zeros(num_bands, num_classes, dim, **f64)
        self.label_counts = torch.zeros(num_classes, **f64)
        self.prob_sums = torch.zeros(num_classes, num_classes, **f64)
        self.samples: list[tuple[str, Tensor, int]] = []
        self.num_samples = 0
        self.layout: Optional[str] = None

    def _valid_labels(self, labels: Tensor, where: str) -> Tensor:
        valid = valid_rows(labels, self.num_classes, self.ignore_index)
        stray = labels[(labels != self.ignore_index) & ~valid]
        if stray.numel():
            raise ValueError(f'{where}: label values {sorted(set(stray.tolist()))[:8]} are '
                             f'neither classes 0..{self.num_classes - 1} nor the ignore index '
                             f'{self.ignore_index}')
        return valid

    def add(self, bands: Sequence[Tensor], labels: Tensor, probs: Optional[Tensor] = None,
            features: Optional[Tensor] = None, keys: Optional[Sequence[str]] = None) -> None:
        """Add one batch.

        Args:
            bands: B standardised bands, each (N, D) or (N, D, h, w).
            labels: (N,) class ids or (N, H, W) label maps.
            probs: The teacher's softmax predictions (N, K) or (N, K, h', w'), or None.
            features: The (N, D) pooled features to keep (``keep_samples`` only).
            keys: A name per sample (:func:`~fdkd_mm.datasets.disjoint_parts.sample_key`),
                the sort key of the kept samples.
        """
        if len(bands) != self.num_bands:
            raise ValueError(f'expected {self.num_bands} bands, got {len(bands)}')
        layout = 'pooled' if bands[0].dim() == 2 else 'dense'
        if self.layout not in (None, layout):
            raise ValueError(f'a batch of {layout} features after {self.layout} ones')
        self.layout = layout
        if bands[0].shape[1] != self.dim:
            raise ValueError(f'band features have width {bands[0].shape[1]}, the bank {self.dim}')
        labels = labels.cpu()
        rows_labels = row_labels(labels, bands[0])
        valid = self._valid_labels(rows_labels, 'teacher labels')
        index = rows_labels[valid]
        self.counts.index_add_(0, index, torch.ones(len(index), dtype=torch.float64))
        for b, band in enumerate(bands):
            rows = to_rows(band.detach()).cpu().double()[valid]
            self.sums[b].index_add_(0, index, rows)
            self.squares[b].index_add_(0, index, rows * rows)
        if probs is not None:
            prob_labels = row_labels(labels, probs)
            prob_valid = self._valid_labels(prob_labels, 'teacher labels')
            prob_rows = to_rows(probs.detach()).cpu().double()[prob_valid]
            prob_index = prob_labels[prob_valid]
            self.label_counts.index_add_(
                0, prob_index, torch.ones(len(prob_index), dtype=torch.float64))
            self.prob_sums.index_add_(0, prob_index, prob_rows)
        self.num_samples += labels.shape[0]
        if self.keep_samples:
            self._keep(features, labels, keys)

    def _keep(self, features: Optional[Tensor], labels: Tensor,
              keys: Optional[Sequence[str]]) -> None:
        if features is None or features.dim() != 2:
            raise ValueError('keep_samples needs the pooled (N, D) features of every batch; '
                             'dense maps keep only the statistics')
        if keys is None:
            keys = [f'{self.num_samples - labels.shape[0] + i:09d}' for i in range(len(labels))]
        for key, feature, label in zip(keys, features.detach().cpu().float(), labels.tolist()):
            self.samples.append((str(key), feature.clone(), int(label)))

    def finalize(self, allow_missing_classes: bool = False,
                 class_names: Optional[Sequence[str]] = None) -> dict[str, Tensor]:
        """The bank's tensors.

        Args:
            allow_missing_classes: A class without any row is allowed (with a warning): the
                bank marks it absent (count 0) and the losses skip it. Otherwise an error.
            class_names: Names for messages.

        Returns:
            ``counts`` (K,), ``means`` / ``variances`` (B, K, D) float64 (variances unbiased,
            0 where a class has < 2 rows), ``label_counts`` (K,), ``label_dist`` (K, K) float64
            (row k: the mean prediction on class k), and with kept samples ``features`` (N, D)
            float32 and ``labels`` (N,) sorted by sample key.

        Raises:
            MissingClassError: A class has no row (or no prediction) and
                ``allow_missing_classes`` is False.
        """
        missing = sorted(set(torch.nonzero(self.counts == 0).flatten().tolist())
                         | set(torch.nonzero(self.label_counts == 0).flatten().tolist()))
        if missing:
            named = [class_names[k] if class_names else str(k) for k in missing]
            text = (f'classes {missing} ({", ".join(named)}) have no sample in the teacher '
                    f'data ({self.num_samples} samples)')
            if not allow_missing_classes:
                raise MissingClassError(
                    f'{text}: the teacher bank cannot describe them. Give the teacher data '
                    'that covers every class (another split fraction or seed), or set '
                    'teacher_bank.allow_missing_classes=True to skip these classes in the '
                    'losses.')
            print_log(f'{text}; the unpaired losses skip them', logger='current', level=30)
        counts = self.counts.clamp_min(1.0)
        means = self.sums / counts[None, :, None]
        variances = (self.squares - self.counts[None, :, None] * means ** 2) \
            / (self.counts - 1.0).clamp_min(1.0)[None, :, None]
        variances = variances.clamp_min(0.0) * (self.counts >= 2)[None, :, None]
        tensors = dict(counts=self.counts.clone(), means=means, variances=variances,
                       label_counts=self.label_counts.clone(),
                       label_dist=self.prob_sums / self.label_counts.clamp_min(1.0)[:, None])
        if self.keep_samples:
            ordered = sorted(self.samples, key=lambda sample: sample[0])
            keys = [key for key, _, _ in ordered]
            if len(set(keys)) != len(keys):
                raise ValueError('the teacher data holds samples with the same key twice; '
                                 'the feature bank needs one entry per sample')
            tensors['features'] = torch.stack([feature for _, feature, _ in ordered])
            tensors['labels'] = torch.tensor([label for _, _, label in ordered])
        return tensors
