# KD on CrisisMMD-V2 under MST-Distill's protocol (humanitarian, 8 classes, their split):
# text teacher -> image student.
# Pair: configs/_base_/pairs/crisismmd8_mst_text_to_image.py; method: configs/_base_/distill/kd.py
_base_ = ['../_base_/pairs/crisismmd8_mst_text_to_image.py', '../_base_/distill/kd.py']
model = dict(distill_losses=_base_.kd_losses,
             loss_forward_mappings=_base_.kd_mappings)
