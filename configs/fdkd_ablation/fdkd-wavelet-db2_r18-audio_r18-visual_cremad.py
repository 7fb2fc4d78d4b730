# Wavelet bands with a longer filter and more scales: a three-level Daubechies-2 (4-tap) DWT
# along the feature dimension gives four bands, the approximation (lowest eighth of the
# frequencies, roughly) and three detail levels. The approximation is aligned strongly (MSE),
# the details weakly (sign-log MSE), as the two-band method does.
_base_ = ['../fdkd/fdkd_r18-audio_r18-visual_cremad.py']
model = dict(distill_losses=dict(loss_fd=dict(
    decoupler=dict(_delete_=True, type='WaveletDecoupler', wavelet='db2', levels=3),
    band_loss=dict(type='MultiBandAlignLoss', modes=('mse', 'log_mse', 'log_mse', 'log_mse'),
                   loss_weights=1.0))))
