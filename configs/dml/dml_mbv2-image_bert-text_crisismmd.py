# DML on CrisisMMD: image teacher -> text student.
# Pair: configs/_base_/pairs/crisismmd_image_to_text.py; method: configs/_base_/distill/dml.py
_base_ = ['../_base_/pairs/crisismmd_image_to_text.py', '../_base_/distill/dml.py']
model = dict(**_base_.dml_settings, distill_losses=_base_.dml_losses,
             loss_forward_mappings=_base_.dml_mappings)
