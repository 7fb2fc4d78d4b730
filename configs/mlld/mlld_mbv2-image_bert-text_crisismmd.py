# MLLD on CrisisMMD: image teacher -> text student.
# Pair: configs/_base_/pairs/crisismmd_image_to_text.py; method: configs/_base_/distill/mlld.py
_base_ = ['../_base_/pairs/crisismmd_image_to_text.py', '../_base_/distill/mlld.py']
model = dict(distill_losses=_base_.mlld_losses,
             loss_forward_mappings=_base_.mlld_mappings)
