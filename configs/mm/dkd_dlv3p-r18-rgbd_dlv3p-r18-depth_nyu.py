# DKD on NYU-Depth V2: RGB-D (early fusion) teacher -> depth student.
# Pair: configs/_base_/pairs/nyu_rgbd_to_depth.py; method: configs/_base_/distill/dkd.py
_base_ = ['../_base_/pairs/nyu_rgbd_to_depth.py', '../_base_/distill/dkd.py']
model = dict(distill_losses=_base_.dkd_losses,
             loss_forward_mappings=_base_.dkd_mappings)
