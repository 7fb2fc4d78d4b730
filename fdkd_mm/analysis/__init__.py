"""Analysis of cross-modal features: similarity per frequency band, scales, spectra, embeddings.

:mod:`.similarity` and :mod:`.statistics` are pure torch; :mod:`.features` runs models from
their configs and records features; :mod:`.plots` draws the figures (matplotlib, imported only
there); :mod:`.cli` holds the argument handling the ``tools/analysis`` scripts share.
"""
from .similarity import BandSimilarity, as_vectors, band_similarity, match_grid, paired_cosine
from .statistics import DimensionMeans, SpectrumEnergy, low_band_fraction, sample_points

__all__ = ['BandSimilarity', 'DimensionMeans', 'SpectrumEnergy', 'as_vectors',
           'band_similarity', 'low_band_fraction', 'match_grid', 'paired_cosine',
           'sample_points']
