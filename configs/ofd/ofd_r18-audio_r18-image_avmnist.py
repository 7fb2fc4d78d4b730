# OFD on AV-MNIST: audio teacher -> image student.
# Pair: configs/_base_/pairs/avmnist_audio_to_image.py; method: configs/_base_/distill/ofd.py
_base_ = ['../_base_/pairs/avmnist_audio_to_image.py', '../_base_/distill/ofd.py']
model = dict(
    connectors=dict(ofd=dict(type='OFDConnector',
                             in_channels=_base_.student_channels.feat,
                             out_channels=_base_.teacher_channels.feat)),
    distill_losses=_base_.ofd_losses,
    loss_forward_mappings=_base_.ofd_mappings)
