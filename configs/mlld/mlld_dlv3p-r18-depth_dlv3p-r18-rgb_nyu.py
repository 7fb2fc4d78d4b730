# MLLD on NYU-Depth V2: depth teacher -> rgb student.
# Pair: configs/_base_/pairs/nyu_depth_to_rgb.py; method: configs/_base_/distill/mlld.py
_base_ = ['../_base_/pairs/nyu_depth_to_rgb.py', '../_base_/distill/mlld.py']
model = dict(distill_losses=_base_.mlld_losses,
             loss_forward_mappings=_base_.mlld_mappings)
