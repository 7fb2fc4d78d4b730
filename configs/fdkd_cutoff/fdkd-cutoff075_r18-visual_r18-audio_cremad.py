# Table 7 (cutoff ratio) on CREMA-D (audio student): the low band is the lowest
# 75 % of the non-DC rFFT bins (FD-CMKD uses 50 %).
_base_ = ['../fdkd/fdkd_r18-visual_r18-audio_cremad.py']
model = dict(distill_losses=dict(loss_fd=dict(decoupler=dict(cutoff=0.75))))
