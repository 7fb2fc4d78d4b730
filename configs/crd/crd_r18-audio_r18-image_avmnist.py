# CRD on AV-MNIST: audio teacher -> image student.
# Pair: configs/_base_/pairs/avmnist_audio_to_image.py; method: configs/_base_/distill/crd.py
_base_ = ['../_base_/pairs/avmnist_audio_to_image.py', '../_base_/distill/crd.py']
model = dict(
    distill_losses=dict(loss_crd=dict(_base_.crd_losses.loss_crd,
                                      student_channels=_base_.student_channels.feat,
                                      teacher_channels=_base_.teacher_channels.feat)),
    loss_forward_mappings=_base_.crd_mappings)
custom_hooks = _base_.custom_hooks + _base_.crd_hooks
