"""LearnableFrequencyDecoupler: soft masks, gradients to the cutoff, the binary limit."""
import pytest
import torch

from fdkd_mm.models.decouplers import LearnableFrequencyDecoupler, soft_band_masks
from fdkd_mm.models.decouplers import FrequencyDecoupler, band_masks
from fdkd_mm.registry import MODELS


def test_gradient_reaches_the_cutoff_from_a_band_loss():
    decoupler = LearnableFrequencyDecoupler(cutoff=0.5, temperature=2.0)
    x = torch.randn(4, 64)
    low, high = decoupler(x)
    (low.pow(2).mean() - high.pow(2).mean()).backward()
    grad = decoupler.cutoff_logit.grad
    assert grad is not None and torch.isfinite(grad) and grad.abs() > 1e-6
    # Gradient descent on low - high energy moves energy out of the low band: cutoff shrinks.
    assert grad > 0


def test_gradient_matches_a_finite_difference():
    decoupler = LearnableFrequencyDecoupler(cutoff=0.4, temperature=1.5).double()
    x = torch.randn(3, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(0))

    def objective() -> torch.Tensor:
        low, _ = decoupler(x)
        return (low * torch.linspace(-1, 1, 32, dtype=torch.float64)).sum()

    objective().backward()
    analytic = decoupler.cutoff_logit.grad.item()
    step = 1e-5
    with torch.no_grad():
        decoupler.cutoff_logit += step
        plus = objective().item()
        decoupler.cutoff_logit -= 2 * step
        minus = objective().item()
    # float64 input is decoupled in float64: central differences agree closely.
    assert analytic == pytest.approx((plus - minus) / (2 * step), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize('dim, cutoff', [(512, 0.5), (128, 0.25), (128, 0.75), (64, 0.5)])
def test_final_temperature_gives_the_fixed_binary_masks_and_bands(dim, cutoff):
    decoupler = LearnableFrequencyDecoupler(cutoff=cutoff, final_temperature=0.01)
    decoupler.set_temperature(decoupler.final_temperature)
    masks = decoupler.masks(dim).detach()
    assert torch.all((masks < 1e-6) | (masks > 1 - 1e-6))  # binary
    torch.testing.assert_close(masks, band_masks(dim, cutoff), atol=1e-6, rtol=0)
    x = torch.randn(5, dim, 2, 3)
    for learned, fixed in zip(decoupler(x), FrequencyDecoupler(cutoff, method='fft')(x)):
        torch.testing.assert_close(learned, fixed, atol=1e-5, rtol=0)


def test_soft_masks_partition_the_non_dc_bins_and_soften_with_temperature():
    cutoff = torch.tensor(0.5)
    soft = soft_band_masks(64, cutoff, temperature=4.0)
    assert soft[:, 0].eq(0).all()  # DC in neither band
    torch.testing.assert_close(soft[:, 1:].sum(0), torch.ones(32))
    # Edge halfway between bins 16 and 17: those two bins are symmetric around 0.5.
    assert soft[0, 16].item() == pytest.approx(1 - soft[0, 17].item(), abs=1e-6)
    assert 0.5 < soft[0, 16] < 0.6
    sharp = soft_band_masks(64, cutoff, temperature=0.01)
    assert sharp[0, 16] > 1 - 1e-6 and sharp[0, 17] < 1e-6


def test_bands_sum_to_centred_input_at_any_temperature():
    decoupler = LearnableFrequencyDecoupler(cutoff=0.3, temperature=3.0)
    x = torch.randn(4, 48) + 2.0
    low, high = decoupler(x)
    torch.testing.assert_close(low + high, x - x.mean(1, keepdim=True), atol=1e-5, rtol=0)


def test_float32_under_autocast_and_input_dtype_out():
    decoupler = LearnableFrequencyDecoupler()
    x = torch.randn(2, 16, 3, 3, dtype=torch.bfloat16)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        low, high = decoupler(x)
    assert low.dtype == high.dtype == torch.bfloat16 and low.shape == x.shape
    reference = FrequencyDecoupler(0.5)(x.float())
    decoupler.set_temperature(0.01)
    torch.testing.assert_close(decoupler(x)[0].float(), reference[0], atol=2e-2, rtol=0)


def test_registered_checkpointed_and_frozen_on_request():
    decoupler = MODELS.build(dict(type='LearnableFrequencyDecoupler', cutoff=0.25,
                                  learnable=False))
    assert decoupler.cutoff == pytest.approx(0.25)
    assert not decoupler.cutoff_logit.requires_grad
    decoupler.set_temperature(0.5)
    state = decoupler.state_dict()
    assert set(state) == {'cutoff_logit', 'temperature'} and state['temperature'] == 0.5
    with pytest.raises(ValueError, match='cutoff'):
        LearnableFrequencyDecoupler(cutoff=1.0)
