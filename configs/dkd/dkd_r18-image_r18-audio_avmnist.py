# DKD on AV-MNIST: image teacher -> audio student.
# Pair: configs/_base_/pairs/avmnist_image_to_audio.py; method: configs/_base_/distill/dkd.py
_base_ = ['../_base_/pairs/avmnist_image_to_audio.py', '../_base_/distill/dkd.py']
model = dict(distill_losses=_base_.dkd_losses,
             loss_forward_mappings=_base_.dkd_mappings)
