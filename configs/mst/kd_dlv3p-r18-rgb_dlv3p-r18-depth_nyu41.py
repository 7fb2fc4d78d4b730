# KD on NYU-Depth V2 under MST-Distill's protocol (41 labels, their split): rgb -> depth.
# Pair: configs/_base_/pairs/nyu_mst_rgb_to_depth.py; method: configs/_base_/distill/kd.py
_base_ = ['../_base_/pairs/nyu_mst_rgb_to_depth.py', '../_base_/distill/kd.py']
# Void pixels (label 0 here) are left out of the KD mean too, as from the task loss.
model = dict(distill_losses=dict(loss_kd=dict(_base_.kd_losses.loss_kd, ignore_index=0)),
             loss_forward_mappings=_base_.kd_mappings)
