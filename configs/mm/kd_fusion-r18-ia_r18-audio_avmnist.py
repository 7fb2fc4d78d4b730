# KD on AV-MNIST, multimodal teacher: image-audio fusion teacher -> audio student.
# Pair: configs/_base_/pairs/avmnist_fusion_to_audio.py; method: configs/_base_/distill/kd.py
_base_ = ['../_base_/pairs/avmnist_fusion_to_audio.py', '../_base_/distill/kd.py']
model = dict(distill_losses=_base_.kd_losses,
             loss_forward_mappings=_base_.kd_mappings)
