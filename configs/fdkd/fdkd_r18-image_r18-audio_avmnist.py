# FD-CMKD on AV-MNIST: image teacher -> audio student.
# Pair: configs/_base_/pairs/avmnist_image_to_audio.py; method: configs/_base_/distill/fdkd.py
_base_ = ['../_base_/pairs/avmnist_image_to_audio.py', '../_base_/distill/fdkd.py']
model = dict(
    distill_losses=dict(loss_fd=dict(_base_.fdkd_loss, num_classes=_base_.num_classes,
                                     in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.fdkd_mappings)
