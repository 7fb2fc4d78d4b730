# Table 7 (cutoff ratio) on NYU-Depth V2 (rgb student): the low band is the lowest
# 25 % of the non-DC rFFT bins (FD-CMKD uses 50 %).
_base_ = ['../fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py']
model = dict(distill_losses=dict(loss_fd=dict(decoupler=dict(cutoff=0.25))))
