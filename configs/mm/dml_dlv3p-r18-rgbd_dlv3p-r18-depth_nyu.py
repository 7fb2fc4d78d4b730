# DML on NYU-Depth V2: RGB-D (early fusion) teacher -> depth student.
# Pair: configs/_base_/pairs/nyu_rgbd_to_depth.py; method: configs/_base_/distill/dml.py
_base_ = ['../_base_/pairs/nyu_rgbd_to_depth.py', '../_base_/distill/dml.py']
model = dict(**_base_.dml_settings, distill_losses=_base_.dml_losses,
             loss_forward_mappings=_base_.dml_mappings)
