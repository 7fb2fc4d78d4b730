# OFD on NYU-Depth V2: RGB-D (early fusion) teacher -> rgb student.
# Pair: configs/_base_/pairs/nyu_rgbd_to_rgb.py; method: configs/_base_/distill/ofd.py
_base_ = ['../_base_/pairs/nyu_rgbd_to_rgb.py', '../_base_/distill/ofd.py']
model = dict(
    connectors=dict(ofd=dict(type='OFDConnector',
                             in_channels=_base_.student_channels.feat,
                             out_channels=_base_.teacher_channels.feat)),
    # Dense maps: the per-sample sum runs over pixels too, hence 1e-5.
    distill_losses=dict(loss_ofd=dict(_base_.ofd_losses.loss_ofd, loss_weight=1e-5)),
    loss_forward_mappings=_base_.ofd_mappings)
