# DML on AV-MNIST, multimodal teacher: image-audio fusion teacher -> image student.
# Pair: configs/_base_/pairs/avmnist_fusion_to_image.py; method: configs/_base_/distill/dml.py
_base_ = ['../_base_/pairs/avmnist_fusion_to_image.py', '../_base_/distill/dml.py']
model = dict(**_base_.dml_settings, distill_losses=_base_.dml_losses,
             loss_forward_mappings=_base_.dml_mappings)
