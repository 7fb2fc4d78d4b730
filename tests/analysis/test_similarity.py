"""Cross-modal band similarity on features whose shared content is known by construction."""
import pytest
import torch

from fdkd_mm.analysis.similarity import (BandSimilarity, band_similarity, match_grid,
                                         paired_cosine)
from fdkd_mm.models.decouplers import MultiBandDecoupler
from fdkd_mm.models.decouplers import FrequencyDecoupler

DIM = 64  # 32 non-DC bins: cutoff 0.5 -> low = bins 1..16, high = 17..32


def from_spectrum(low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Real (N, DIM) signals with the given complex coefficients in bins 1..16 and 17..32."""
    spectrum = torch.zeros(low.shape[0], DIM // 2 + 1, dtype=torch.complex128)
    spectrum[:, 1:17] = low
    spectrum[:, 17:33] = high
    spectrum[:, 32] = spectrum[:, 32].real  # the Nyquist bin of a real signal is real
    return torch.fft.irfft(spectrum, n=DIM, dim=1).float()


def random_bins(num: int, gen: torch.Generator) -> torch.Tensor:
    return torch.complex(torch.randn(num, 16, generator=gen, dtype=torch.float64),
                         torch.randn(num, 16, generator=gen, dtype=torch.float64))


@pytest.fixture
def shared_low_pair():
    """Two modalities with the same low-band content and independent high-band content."""
    gen = torch.Generator().manual_seed(0)
    shared = random_bins(400, gen)
    a = from_spectrum(shared, random_bins(400, gen))
    b = from_spectrum(shared, random_bins(400, gen))
    return a, b


def test_shared_low_band_gives_high_low_similarity_and_none_in_the_high_band(shared_low_pair):
    a, b = shared_low_pair
    result = band_similarity(a, b, FrequencyDecoupler(0.5))
    assert set(result) == {'raw', 'low', 'high'}
    assert result['low'] == pytest.approx(1.0, abs=1e-5)  # identical low bands
    assert abs(result['high']) < 0.05  # independent: mean cosine ~ 0 (std ~ 0.18/sqrt(400))
    # Equal energy in both bands: the raw cosine is the low band's share of it, ~0.5.
    assert result['raw'] == pytest.approx(0.5, abs=0.05)
    assert result['low'] - result['high'] > 0.9


def test_identical_inputs_are_similar_in_every_band():
    x = torch.randn(8, 32, 5, 6)
    result = band_similarity(x, x.clone(), FrequencyDecoupler(0.25))
    assert result == pytest.approx({'raw': 1.0, 'low': 1.0, 'high': 1.0}, abs=1e-5)
    four = band_similarity(x, x.clone(), MultiBandDecoupler((0.25, 0.5, 0.75)))
    assert set(four) == {'raw', 'band0', 'band1', 'band2', 'band3'}
    assert all(v == pytest.approx(1.0, abs=1e-5) for v in four.values())


def test_dense_features_are_compared_per_pixel_and_batches_accumulate():
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(3, 16, 4, 5, generator=gen)
    b = torch.randn(3, 16, 4, 5, generator=gen)
    b[:, :, :2] = a[:, :, :2]  # the top two rows of every map agree exactly
    expected = torch.nn.functional.cosine_similarity(a, b, dim=1)  # (3, 4, 5) per pixel
    meter = BandSimilarity(FrequencyDecoupler(0.5))
    meter.update(a[:2], b[:2])
    meter.update(a[2:], b[2:])
    assert meter.count == 3 * 4 * 5
    assert meter.compute()['raw'] == pytest.approx(expected.mean().item(), abs=1e-6)
    assert paired_cosine(a, b).shape == (60,)


def test_teacher_map_is_resized_to_the_student_grid_and_widths_must_match():
    a = torch.ones(2, 8, 4, 4)
    b = torch.ones(2, 8, 2, 2)
    assert match_grid(a, b).shape == a.shape
    assert band_similarity(a, b)['raw'] == pytest.approx(1.0)
    with pytest.raises(ValueError, match='width'):
        match_grid(a, torch.ones(2, 16, 4, 4))
