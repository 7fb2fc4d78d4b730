# DKD on AV-MNIST, multimodal teacher: image-audio fusion teacher -> image student.
# Pair: configs/_base_/pairs/avmnist_fusion_to_image.py; method: configs/_base_/distill/dkd.py
_base_ = ['../_base_/pairs/avmnist_fusion_to_image.py', '../_base_/distill/dkd.py']
model = dict(distill_losses=_base_.dkd_losses,
             loss_forward_mappings=_base_.dkd_mappings)
