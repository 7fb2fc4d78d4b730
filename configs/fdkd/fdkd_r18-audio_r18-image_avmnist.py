# FD-CMKD on AV-MNIST: audio teacher -> image student.
# Pair: configs/_base_/pairs/avmnist_audio_to_image.py; method: configs/_base_/distill/fdkd.py
_base_ = ['../_base_/pairs/avmnist_audio_to_image.py', '../_base_/distill/fdkd.py']
model = dict(
    distill_losses=dict(loss_fd=dict(_base_.fdkd_loss, num_classes=_base_.num_classes,
                                     in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.fdkd_mappings)
