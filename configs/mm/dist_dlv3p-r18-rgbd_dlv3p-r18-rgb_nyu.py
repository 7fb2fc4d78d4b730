# DIST on NYU-Depth V2: RGB-D (early fusion) teacher -> rgb student.
# Pair: configs/_base_/pairs/nyu_rgbd_to_rgb.py; method: configs/_base_/distill/dist.py
_base_ = ['../_base_/pairs/nyu_rgbd_to_rgb.py', '../_base_/distill/dist.py']
model = dict(distill_losses=_base_.dist_losses,
             loss_forward_mappings=_base_.dist_mappings)
