# RKD on NYU-Depth V2: depth teacher -> rgb student.
# Pair: configs/_base_/pairs/nyu_depth_to_rgb.py; method: configs/_base_/distill/rkd.py
_base_ = ['../_base_/pairs/nyu_depth_to_rgb.py', '../_base_/distill/rkd.py']
model = dict(distill_losses=_base_.rkd_losses,
             loss_forward_mappings=_base_.rkd_mappings)
