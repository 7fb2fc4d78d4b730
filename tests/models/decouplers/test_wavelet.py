"""WaveletDecoupler: DWT bands along the feature dimension, against PyWavelets and by hand."""
import numpy as np
import pytest
import pywt
import torch

from fdkd_mm.models.decouplers import WaveletDecoupler


def reference_bands(x: np.ndarray, wavelet: str, levels: int) -> list[np.ndarray]:
    """Each coefficient group of PyWavelets' periodized DWT of the centred rows, reconstructed
    alone."""
    centred = x - x.mean(axis=1, keepdims=True)
    coefficients = pywt.wavedec(centred, wavelet, mode='periodization', level=levels, axis=1)
    bands = []
    for keep in range(len(coefficients)):
        only = [c if i == keep else np.zeros_like(c) for i, c in enumerate(coefficients)]
        bands.append(pywt.waverec(only, wavelet, mode='periodization', axis=1))
    return bands


def test_haar_level_one_by_hand():
    x = torch.tensor([[1.0, 3.0, 6.0, 10.0]])  # mean 5: centred [-4, -2, 1, 5]
    approx, detail = WaveletDecoupler('haar', levels=1)(x)
    # Approximation = pairwise means of the centred vector; detail = what is left.
    torch.testing.assert_close(approx, torch.tensor([[-3.0, -3.0, 3.0, 3.0]]))
    torch.testing.assert_close(detail, torch.tensor([[-1.0, 1.0, -2.0, 2.0]]))


@pytest.mark.parametrize('wavelet, levels', [('haar', 1), ('haar', 3), ('db2', 2), ('sym4', 2)])
def test_bands_equal_pywavelets_and_reconstruct_the_centred_input(wavelet, levels):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, 64, generator=gen, dtype=torch.float64)
    bands = WaveletDecoupler(wavelet, levels)(x)
    expected = reference_bands(x.numpy(), wavelet, levels)
    assert len(bands) == levels + 1
    for band, reference in zip(bands, expected):
        np.testing.assert_allclose(band.numpy(), reference, atol=1e-10)
    # Perfect reconstruction: the bands sum to the centred input; every band has zero mean.
    torch.testing.assert_close(sum(bands), x - x.mean(1, keepdim=True), atol=1e-10, rtol=0)
    for band in bands:
        torch.testing.assert_close(band.mean(1), torch.zeros(5, dtype=torch.float64),
                                   atol=1e-12, rtol=0)


def test_names_lowest_band_first():
    assert WaveletDecoupler('db2', levels=3).band_names == ('approx', 'detail3', 'detail2',
                                                            'detail1')
    assert WaveletDecoupler().zero_channel_mean


def test_dense_maps_are_decoupled_per_pixel_in_float32():
    gen = torch.Generator().manual_seed(1)
    maps = torch.randn(2, 16, 3, 4, generator=gen)
    decoupler = WaveletDecoupler('db2', levels=2)
    dense = decoupler(maps)
    vectors = decoupler(maps.permute(0, 2, 3, 1).reshape(-1, 16))
    for band, flat in zip(dense, vectors):
        assert band.shape == maps.shape and band.dtype == torch.float32
        torch.testing.assert_close(band.permute(0, 2, 3, 1).reshape(-1, 16), flat)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        half = decoupler(maps.bfloat16())
    assert all(band.dtype == torch.bfloat16 for band in half)


def test_gradients_reach_the_input():
    x = torch.randn(3, 32, requires_grad=True)
    approx, _ = WaveletDecoupler('haar', 2)(x)[:2]
    (approx ** 2).sum().backward()
    assert x.grad.abs().sum() > 0


def test_widths_and_names_that_cannot_work_are_clear_errors():
    with pytest.raises(ValueError, match=r'divisible by 8, got shape \(2, 12\)'):
        WaveletDecoupler('haar', levels=3)(torch.randn(2, 12))
    with pytest.raises(ValueError, match="unknown discrete wavelet 'hair'"):
        WaveletDecoupler('hair')
    with pytest.raises(ValueError, match='levels must be a positive integer'):
        WaveletDecoupler('haar', levels=0)
