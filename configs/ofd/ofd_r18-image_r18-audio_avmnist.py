# OFD on AV-MNIST: image teacher -> audio student.
# Pair: configs/_base_/pairs/avmnist_image_to_audio.py; method: configs/_base_/distill/ofd.py
_base_ = ['../_base_/pairs/avmnist_image_to_audio.py', '../_base_/distill/ofd.py']
model = dict(
    connectors=dict(ofd=dict(type='OFDConnector',
                             in_channels=_base_.student_channels.feat,
                             out_channels=_base_.teacher_channels.feat)),
    distill_losses=_base_.ofd_losses,
    loss_forward_mappings=_base_.ofd_mappings)
