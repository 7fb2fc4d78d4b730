# NKD on NYU-Depth V2: RGB-D (early fusion) teacher -> rgb student.
# Pair: configs/_base_/pairs/nyu_rgbd_to_rgb.py; method: configs/_base_/distill/nkd.py
_base_ = ['../_base_/pairs/nyu_rgbd_to_rgb.py', '../_base_/distill/nkd.py']
model = dict(distill_losses=_base_.nkd_losses,
             loss_forward_mappings=_base_.nkd_mappings)
