# NKD on AV-MNIST, multimodal teacher: image-audio fusion teacher -> audio student.
# Pair: configs/_base_/pairs/avmnist_fusion_to_audio.py; method: configs/_base_/distill/nkd.py
_base_ = ['../_base_/pairs/avmnist_fusion_to_audio.py', '../_base_/distill/nkd.py']
model = dict(distill_losses=_base_.nkd_losses,
             loss_forward_mappings=_base_.nkd_mappings)
