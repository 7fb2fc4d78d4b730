# PKD on AV-MNIST, multimodal teacher: image-audio fusion teacher -> image student.
# Pair: configs/_base_/pairs/avmnist_fusion_to_image.py; method: configs/_base_/distill/pkd.py
_base_ = ['../_base_/pairs/avmnist_fusion_to_image.py', '../_base_/distill/pkd.py']
model = dict(distill_losses=_base_.pkd_losses,
             loss_forward_mappings=_base_.pkd_mappings)
