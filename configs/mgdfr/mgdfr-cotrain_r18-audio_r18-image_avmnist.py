# MGDFR step 1, co-training, on AV-MNIST: audio teacher -> image student.
# Pair: configs/_base_/pairs/avmnist_audio_to_image.py; method: configs/_base_/distill/mgdfr.py
_base_ = ['../_base_/pairs/avmnist_audio_to_image.py', '../_base_/distill/mgdfr.py']
model = dict(**_base_.mgdfr_cotrain_settings,
             distill_losses=_base_.mgdfr_cotrain_losses,
             loss_forward_mappings=_base_.mgdfr_cotrain_mappings)
