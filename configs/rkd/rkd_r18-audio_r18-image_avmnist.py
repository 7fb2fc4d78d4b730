# RKD on AV-MNIST: audio teacher -> image student.
# Pair: configs/_base_/pairs/avmnist_audio_to_image.py; method: configs/_base_/distill/rkd.py
_base_ = ['../_base_/pairs/avmnist_audio_to_image.py', '../_base_/distill/rkd.py']
model = dict(distill_losses=_base_.rkd_losses,
             loss_forward_mappings=_base_.rkd_mappings)
