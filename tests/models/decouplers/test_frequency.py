"""FrequencyDecoupler against Eq. 1-3 of the method and a naive DFT written from the formula."""
import numpy as np
import pytest
import torch

from fdkd_mm.models.decouplers import FrequencyDecoupler, band_bins, band_projection


def naive_band(x: np.ndarray, bins: range) -> np.ndarray:
    """Reconstruct rows of ``x`` from the given one-sided DFT bins, straight from the formula.

    X_k = Σ_n x_n e^{-2πikn/D}; a real signal rebuilt from bins k (and their mirrors D-k) is
    x_n = (1/D) Σ_k c_k Re(X_k e^{2πikn/D}) with c_k = 1 for k = D/2 (D even) and 2 otherwise.
    """
    d = x.shape[1]
    n = np.arange(d)
    out = np.zeros_like(x, dtype=np.float64)
    for k in bins:
        basis = np.exp(-2j * np.pi * k * n / d)
        coeff = x @ basis  # X_k for every row
        weight = 1.0 if 2 * k == d else 2.0
        out += weight * np.real(coeff[:, None] * np.conj(basis)[None, :]) / d
    return out


@pytest.mark.parametrize('dim', [512, 37])
@pytest.mark.parametrize('method', ['fft', 'matmul'])
def test_bands_sum_to_centred_input(dim, method):
    x = torch.randn(6, dim) * 3 + 1.5
    low, high = FrequencyDecoupler(method=method)(x)
    centred = x - x.mean(dim=1, keepdim=True)
    torch.testing.assert_close(low + high, centred, atol=1e-5, rtol=0)


@pytest.mark.parametrize('dim', [512, 37])
def test_band_energies_follow_parseval(dim):
    x = torch.randn(4, dim, dtype=torch.float64)
    low, high = FrequencyDecoupler(method='fft')(x.float())
    spectrum = torch.fft.rfft(x, dim=1)
    weights = torch.full((dim // 2 + 1,), 2.0, dtype=torch.float64)
    if dim % 2 == 0:
        weights[-1] = 1.0  # Nyquist bin has no mirror
    power = weights * spectrum.abs() ** 2 / dim  # Σ_n x_n² = Σ_k w_k |X_k|² / D
    low_bins, high_bins = band_bins(dim, 0.5)
    expected_low = power[:, low_bins.start:low_bins.stop].sum(1)
    expected_high = power[:, high_bins.start:high_bins.stop].sum(1)
    torch.testing.assert_close((low.double() ** 2).sum(1), expected_low, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close((high.double() ** 2).sum(1), expected_high, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('method', ['fft', 'matmul'])
@pytest.mark.parametrize('dense', [False, True])
def test_512_keeps_exactly_bins_1_to_128_and_129_to_256(method, dense):
    assert band_bins(512, 0.5) == (range(1, 129), range(129, 257))
    x = np.random.default_rng(0).normal(size=(3, 512))
    features = torch.from_numpy(x).float()
    if dense:  # the three vectors as the pixels of one (1, 512, 1, 3) map
        features = features.t()[None, :, None, :]
    low, high = FrequencyDecoupler(method=method)(features)
    if dense:
        low, high = (band[0, :, 0, :].t() for band in (low, high))
    np.testing.assert_allclose(low.numpy(), naive_band(x, range(1, 129)), atol=2e-5)
    np.testing.assert_allclose(high.numpy(), naive_band(x, range(129, 257)), atol=2e-5)


def test_odd_dim_against_naive_dft_and_cutoff_ratio():
    x = np.random.default_rng(1).normal(size=(2, 37))
    # 18 non-DC bins; cutoff 0.25 puts floor(4.5) = 4 of them in the low band.
    assert band_bins(37, 0.25) == (range(1, 5), range(5, 19))
    low, high = FrequencyDecoupler(cutoff=0.25, method='matmul')(torch.from_numpy(x).float())
    np.testing.assert_allclose(low.numpy(), naive_band(x, range(1, 5)), atol=2e-5)
    np.testing.assert_allclose(high.numpy(), naive_band(x, range(5, 19)), atol=2e-5)


def test_dense_maps_are_decoupled_per_pixel():
    x = torch.randn(2, 16, 3, 5)
    low, high = FrequencyDecoupler()(x)
    assert low.shape == high.shape == x.shape
    pixel = x[1, :, 2, 4][None]
    pixel_low, pixel_high = FrequencyDecoupler()(pixel)
    torch.testing.assert_close(low[1, :, 2, 4], pixel_low[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(high[1, :, 2, 4], pixel_high[0], atol=1e-6, rtol=0)


def test_fft_and_matmul_agree_and_projection_is_the_filter():
    x = torch.randn(5, 64, 4, 4)
    fft_low, fft_high = FrequencyDecoupler(method='fft')(x)
    mm_low, mm_high = FrequencyDecoupler(method='matmul')(x)
    # Same operator, different float32 rounding paths.
    torch.testing.assert_close(fft_low, mm_low, atol=1e-5, rtol=0)
    torch.testing.assert_close(fft_high, mm_high, atol=1e-5, rtol=0)
    assert band_projection(64, 0.5).shape == (64, 128)


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_runs_in_float32_under_autocast_and_returns_input_dtype(dtype):
    x = torch.randn(4, 32, 2, 2)
    with torch.autocast('cpu', dtype=dtype):
        low, high = FrequencyDecoupler(method='fft')(x.to(dtype))
    assert low.dtype == high.dtype == dtype
    ref_low, _ = FrequencyDecoupler(method='fft')(x.to(dtype).float())
    torch.testing.assert_close(low.float(), ref_low, atol=1e-2, rtol=1e-2)


def test_gradient_flows_through_both_methods():
    for method in ('fft', 'matmul'):
        x = torch.randn(3, 16, requires_grad=True)
        low, high = FrequencyDecoupler(method=method)(x)
        (low.sum() + 2 * high.sum()).backward()
        # Both bands have zero mean per row, so the gradient of their sums is exactly 0.
        torch.testing.assert_close(x.grad, torch.zeros_like(x), atol=1e-5, rtol=0)
        x.grad = None
        low, _ = FrequencyDecoupler(method=method)(x)
        (low ** 2).sum().backward()
        assert x.grad.abs().sum() > 0


@pytest.mark.parametrize('cutoff', [0.0, 1.0, -0.5, 1.5])
def test_cutoff_outside_unit_interval_is_rejected_at_construction(cutoff):
    with pytest.raises(ValueError, match=r'cutoff must lie in \(0, 1\)'):
        FrequencyDecoupler(cutoff=cutoff)


@pytest.mark.parametrize('dim, cutoff, message', [
    (3, 0.5, 'D >= 4, got D=3'),
    (4, 0.4, 'empty low band for D=4'),
    (6, 0.3, 'empty low band for D=6'),
])
def test_width_that_cannot_be_split_is_a_clear_error(dim, cutoff, message):
    with pytest.raises(ValueError, match=message):
        FrequencyDecoupler(cutoff=cutoff)(torch.randn(2, dim))


def test_wrong_rank_is_rejected():
    with pytest.raises(ValueError, match=r'\(N, D\) or \(N, D, H, W\)'):
        FrequencyDecoupler()(torch.randn(2, 8, 3))
