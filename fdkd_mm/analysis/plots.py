"""Figures of the analysis tools, drawn with matplotlib's object API on the Agg canvas.

No pyplot: figures are plain ``Figure`` objects on a ``FigureCanvasAgg``, so nothing depends on
(or changes) a global backend, and a headless machine needs no display. Figure sizes are fixed
(``*_SIZE`` in inches at ``DPI``), and saved without tight cropping, so a PNG's pixel size is
known in advance.
"""
import os
import os.path as osp
from collections.abc import Sequence
from typing import Optional

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100
FEATURE_SCALE_SIZE = (10.0, 4.0)
SPECTRUM_SIZE = (12.0, 4.5)
TSNE_SIZE = (12.0, 5.5)
_MARKERS = ('o', '^', 's', 'D')


def _figure(size: tuple[float, float]) -> Figure:
    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def save_png(figure: Figure, path: str) -> str:
    """Write ``figure`` to ``path`` (folders created) at its fixed size; return the path."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=DPI, format='png')
    return path


def feature_scale_figure(means: dict[str, np.ndarray], title: str = '') -> Figure:
    """Per-dimension feature means of each modality (the paper's Figure 1).

    Args:
        means: Modality name → (D,) mean of every feature dimension.
        title: Figure title.

    Returns:
        A figure with one axes: x = feature dimension, y = mean value, one line per modality.
    """
    figure = _figure(FEATURE_SCALE_SIZE)
    axes = figure.add_subplot(1, 1, 1)
    for name, values in means.items():
        values = np.asarray(values)
        axes.plot(np.arange(values.size), values, lw=0.9, alpha=0.85,
                  label=f'{name} (|mean| avg {np.abs(values).mean():.3g})')
    axes.axhline(0.0, color='grey', lw=0.5)
    axes.set_xlabel('feature dimension')
    axes.set_ylabel('mean activation')
    axes.set_title(title or 'per-dimension feature means')
    axes.legend(loc='upper right')
    figure.tight_layout()
    return figure


def spectrum_figure(energies: dict[str, np.ndarray], dim: int, low_bins: range,
                    title: str = '') -> Figure:
    """Energy per rfft bin of each modality's features, with the band cutoff marked.

    Args:
        energies: Modality name → (D // 2 + 1,) mean energy per bin (bin 0 = DC).
        dim: Feature width D.
        low_bins: The low band's bins (``band_bins(D, cutoff)[0]``); the cutoff line is drawn
            after its last bin.
        title: Figure title.

    Returns:
        A figure with two axes: left, energy per bin (log scale, DC included); right, the
        cumulative share of the non-DC energy, where the cutoff line reads off the low-band
        share.
    """
    figure = _figure(SPECTRUM_SIZE)
    energy_axes = figure.add_subplot(1, 2, 1)
    share_axes = figure.add_subplot(1, 2, 2)
    edge = low_bins.stop - 0.5
    for name, energy in energies.items():
        energy = np.asarray(energy, dtype=np.float64)
        bins = np.arange(energy.size)
        energy_axes.plot(bins, np.maximum(energy, 1e-30), lw=1.0, label=name)
        weights = np.full(energy.size, 2.0)
        weights[0] = 0.0  # DC belongs to no band
        if dim % 2 == 0:
            weights[-1] = 1.0
        share = np.cumsum(energy * weights) / max((energy * weights).sum(), 1e-30)
        share_axes.plot(bins, share, lw=1.2, label=name)
    for axes in (energy_axes, share_axes):
        axes.axvline(edge, color='k', ls='--', lw=1.0, label=f'cutoff (after bin {edge - 0.5:g})')
        axes.set_xlabel(f'rfft bin along the feature dimension (D = {dim})')
    energy_axes.set_yscale('log')
    energy_axes.set_ylabel('mean energy |F_k|² / D')
    energy_axes.set_title('energy per frequency bin (bin 0 = DC)')
    share_axes.set_ylabel('cumulative share of non-DC energy')
    share_axes.set_ylim(0.0, 1.02)
    share_axes.set_title('low band = left of the cutoff')
    energy_axes.legend(loc='upper right')
    share_axes.legend(loc='lower right')
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def tsne_figure(points: np.ndarray, modalities: Sequence[str], labels: Optional[np.ndarray],
                title: str = '', class_names: Optional[Sequence[str]] = None) -> Figure:
    """2-D embedding of both modalities' features, coloured by modality and by class (Figure 4).

    Args:
        points: (M, 2) embedded points.
        modalities: Modality name of each point.
        labels: Class index of each point, or ``None``.
        title: Figure title.
        class_names: Names of the class indices, for the legend.

    Returns:
        A figure with two axes: left coloured by modality; right coloured by class, with one
        marker shape per modality.
    """
    figure = _figure(TSNE_SIZE)
    by_modality = figure.add_subplot(1, 2, 1)
    by_class = figure.add_subplot(1, 2, 2)
    modalities = np.asarray(modalities)
    names = list(dict.fromkeys(modalities.tolist()))
    for name in names:
        keep = modalities == name
        by_modality.scatter(points[keep, 0], points[keep, 1], s=6, alpha=0.7, label=name)
    by_modality.set_title('coloured by modality')
    by_modality.legend(loc='best', markerscale=2)
    if labels is not None:
        classes = np.unique(labels)
        colours = _class_colours(len(classes))
        for marker, name in zip(_MARKERS, names):
            for colour, cls in zip(colours, classes):
                keep = (modalities == name) & (labels == cls)
                known = class_names is not None and cls < len(class_names)
                label = class_names[cls] if known else str(cls)
                # One legend entry per class: the first modality's markers carry it.
                by_class.scatter(points[keep, 0], points[keep, 1], s=8, alpha=0.7,
                                 marker=marker, color=colour,
                                 label=label if marker == _MARKERS[0] else None)
        marker_key = ' / '.join(f'{m} {n}' for m, n in zip(_MARKERS, names))
        by_class.legend(loc='best', markerscale=2, fontsize='small', ncol=2,
                        title=f'class (markers: {marker_key})')
    by_class.set_title('coloured by class')
    for axes in (by_modality, by_class):
        axes.set_xlabel('t-SNE 1')
        axes.set_ylabel('t-SNE 2')
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def _class_colours(count: int) -> list:
    """Distinct colours for ``count`` classes (tab10, or tab20 beyond ten)."""
    from matplotlib import colormaps
    cmap = colormaps['tab20' if count > 10 else 'tab10']
    return [cmap(i % cmap.N) for i in range(count)]
