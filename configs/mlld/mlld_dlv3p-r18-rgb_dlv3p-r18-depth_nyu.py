# MLLD on NYU-Depth V2: rgb teacher -> depth student.
# Pair: configs/_base_/pairs/nyu_rgb_to_depth.py; method: configs/_base_/distill/mlld.py
_base_ = ['../_base_/pairs/nyu_rgb_to_depth.py', '../_base_/distill/mlld.py']
model = dict(distill_losses=_base_.mlld_losses,
             loss_forward_mappings=_base_.mlld_mappings)
