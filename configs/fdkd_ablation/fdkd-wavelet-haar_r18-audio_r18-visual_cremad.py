# Open question 2 of the paper: wavelet instead of Fourier bands. A one-level Haar DWT along the
# feature dimension splits each (centred) 512-d feature into its approximation (pairwise means:
# the coarse, low-frequency half) and its detail (pairwise differences); each band is mapped
# back to 512-d, and the two sum to the centred feature. Losses and heads as FD-CMKD's; keys
# distill.loss_approx / distill.loss_detail1, align.loss_{approx,detail1}_*, aux.loss_*.
_base_ = ['../fdkd/fdkd_r18-audio_r18-visual_cremad.py']
model = dict(distill_losses=dict(loss_fd=dict(
    decoupler=dict(_delete_=True, type='WaveletDecoupler', wavelet='haar', levels=1))))
