# RKD on NYU-Depth V2: rgb teacher -> depth student.
# Pair: configs/_base_/pairs/nyu_rgb_to_depth.py; method: configs/_base_/distill/rkd.py
_base_ = ['../_base_/pairs/nyu_rgb_to_depth.py', '../_base_/distill/rkd.py']
model = dict(distill_losses=_base_.rkd_losses,
             loss_forward_mappings=_base_.rkd_mappings)
