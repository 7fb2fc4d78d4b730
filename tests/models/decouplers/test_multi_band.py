"""MultiBandDecoupler / MultiBandAlignLoss, alone and in the FD distiller (K = 2 and K = 4)."""
import copy

import pytest
import torch

import fdkd_mm.models.losses.multi_band_align  # noqa: F401  (registers MultiBandAlignLoss)
from fdkd_mm.models.decouplers import MultiBandDecoupler, multi_band_bins
from fdkd_mm.models.decouplers import FrequencyDecoupler, band_bins
from fdkd_mm.models.losses import FrequencyAlignLoss
from fdkd_mm.models.losses.multi_band_align import MultiBandAlignLoss
from fdkd_mm.registry import MODELS
from fdkd_mm.testing.tiny_models import with_fd_loss

TWO_BANDS = dict(decoupler=dict(type='MultiBandDecoupler', cutoffs=(0.5,)),
                 band_loss=dict(type='MultiBandAlignLoss'))
RENAME = {'band0': 'low', 'band1': 'high'}


def test_bins_are_contiguous_and_two_bands_equal_band_bins():
    assert multi_band_bins(512, (0.25, 0.5, 0.75)) == (
        range(1, 65), range(65, 129), range(129, 193), range(193, 257))
    for dim in (37, 64, 512):
        for cutoff in (0.25, 0.3, 0.5, 0.75):
            assert multi_band_bins(dim, (cutoff,)) == band_bins(dim, cutoff)
    with pytest.raises(ValueError, match='increase'):
        multi_band_bins(64, (0.5, 0.25))
    with pytest.raises(ValueError, match='empty'):
        multi_band_bins(8, (0.25, 0.3))


@pytest.mark.parametrize('method', ['fft', 'matmul'])
@pytest.mark.parametrize('shape', [(3, 64, 2, 2), (5, 64)])
def test_four_bands_sum_to_centred_input_and_hold_their_bins(method, shape):
    x = torch.randn(*shape) + 1.0
    bands = MultiBandDecoupler((0.25, 0.5, 0.75), method=method)(x)
    assert len(bands) == 4 and all(b.shape == x.shape for b in bands)
    torch.testing.assert_close(sum(bands), x - x.mean(1, keepdim=True), atol=1e-5, rtol=0)
    for band, bins in zip(bands, multi_band_bins(64, (0.25, 0.5, 0.75))):
        spectrum = torch.fft.rfft(band.double(), dim=1).abs()
        outside = torch.ones(33, dtype=torch.bool)
        outside[bins.start:bins.stop] = False
        assert spectrum[:, outside].max() < 1e-4


@pytest.mark.parametrize('shape', [(6, 512), (2, 16, 5, 7)])
def test_two_bands_equal_the_standard_decoupler(shape):
    x = torch.randn(*shape)
    for multi, standard in zip(MultiBandDecoupler((0.5,))(x), FrequencyDecoupler(0.5)(x)):
        # Different float32 formulations (the standard one derives the high band from the low
        # one), so equal to float32 rounding of a D=512 sum, not bit for bit.
        torch.testing.assert_close(multi, standard, atol=1e-5, rtol=0)


def test_multi_band_loss_is_one_frequency_align_loss_per_band():
    loss = MultiBandAlignLoss(num_bands=3, modes=('mse', 'log_mse', 'log_mse'),
                              loss_weights=(1.0, 0.5, 2.0))
    student = [torch.randn(4, 8) for _ in range(3)]
    teacher = [torch.randn(4, 8) for _ in range(3)]
    expected = [FrequencyAlignLoss(mode, loss_weight=w)(s, t) for mode, w, s, t in zip(
        ('mse', 'log_mse', 'log_mse'), (1.0, 0.5, 2.0), student, teacher)]
    assert [float(v) for v in loss(student, teacher)] == pytest.approx(
        [float(v) for v in expected])
    assert [m.mode for m in MultiBandAlignLoss(num_bands=4).losses] == [
        'mse', 'log_mse', 'log_mse', 'log_mse']
    with pytest.raises(ValueError, match='one mode and one weight per band'):
        MultiBandAlignLoss(num_bands=3, modes=('mse', 'log_mse'))


@pytest.mark.parametrize('task', ['cls', 'seg'])
def test_distiller_with_two_bands_reproduces_the_standard_losses(task, request, batch_factory):
    standard_cfg = request.getfixturevalue(f'{task}_distiller_cfg')
    standard = MODELS.build(standard_cfg)
    multi = MODELS.build(with_fd_loss(standard_cfg, **TWO_BANDS))
    # Same student, teacher and heads: copy the weights across the renamed band keys.
    state = {k: v for k, v in standard.state_dict().items()}
    renamed = {}
    for key, value in state.items():
        for new, old in RENAME.items():
            key = key.replace(f'heads.{old}.', f'heads.{new}.')
        renamed[key] = value
    multi.load_state_dict(renamed, strict=True)
    batch = batch_factory(task, 0)
    standard.train(), multi.train()
    torch.manual_seed(0)
    ours = multi(**multi.data_preprocessor(copy.deepcopy(batch), True), mode='loss')
    torch.manual_seed(0)
    reference = standard(**standard.data_preprocessor(batch, True), mode='loss')
    expected = {}
    for key, value in reference.items():
        for new, old in RENAME.items():
            key = key.replace(f'_{old}', f'_{new}').replace(f'.loss_{old}', f'.loss_{new}')
        expected[key] = value
    assert set(ours) == set(expected)
    for key, value in expected.items():
        torch.testing.assert_close(ours[key], value, atol=1e-6, rtol=0, msg=key)


def test_distiller_with_four_bands_has_per_band_keys_and_heads(cls_distiller_cfg, cls_batch):
    cfg = with_fd_loss(cls_distiller_cfg,
                       decoupler=dict(type='MultiBandDecoupler', cutoffs=(0.25, 0.5, 0.75)),
                       band_loss=dict(type='MultiBandAlignLoss', modes=('mse', 'mse', 'log_mse',
                                                                        'log_mse')))
    model = MODELS.build(cfg)
    losses = model(**model.data_preprocessor(cls_batch, True), mode='loss')
    bands = [f'band{i}' for i in range(4)]
    expected = {f'distill.loss_{b}' for b in bands} | {f'aux.loss_{b}' for b in bands} | {
        f'align.loss_{b}_{side}' for b in bands for side in ('student', 'teacher')}
    assert expected <= set(losses)
    assert not any('low' in k or 'high' in k for k in losses)
    fd = model.losses['loss_fd']
    assert set(fd.shared_heads) == set(fd.aux_heads) == set(bands)
    assert [fd.band_losses[b].mode for b in bands] == ['mse', 'mse', 'log_mse', 'log_mse']
    # Ablation switches reach every band.
    ablated = MODELS.build(with_fd_loss(cfg, ablation=dict(log=False, scale=False))).losses[
        'loss_fd']
    assert all(ablated.band_losses[b].mode == 'mse' and not ablated.band_losses[b].standardize
               for b in bands)


def test_more_than_two_bands_without_band_loss_is_a_clear_error(cls_distiller_cfg):
    cfg = with_fd_loss(cls_distiller_cfg,
                       decoupler=dict(type='MultiBandDecoupler', cutoffs=(0.3, 0.6)))
    with pytest.raises(ValueError, match='3 bands.*MultiBandAlignLoss'):
        MODELS.build(cfg)
