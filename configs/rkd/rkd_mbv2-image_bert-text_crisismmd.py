# RKD on CrisisMMD: image teacher -> text student.
# Pair: configs/_base_/pairs/crisismmd_image_to_text.py; method: configs/_base_/distill/rkd.py
_base_ = ['../_base_/pairs/crisismmd_image_to_text.py', '../_base_/distill/rkd.py']
model = dict(distill_losses=_base_.rkd_losses,
             loss_forward_mappings=_base_.rkd_mappings)
