# KD ("Logit") on NYU-Depth V2: RGB-D (early fusion) teacher -> depth student.
# Pair: configs/_base_/pairs/nyu_rgbd_to_depth.py; method: configs/_base_/distill/kd.py
_base_ = ['../_base_/pairs/nyu_rgbd_to_depth.py', '../_base_/distill/kd.py']
model = dict(distill_losses=_base_.kd_losses,
             loss_forward_mappings=_base_.kd_mappings)
