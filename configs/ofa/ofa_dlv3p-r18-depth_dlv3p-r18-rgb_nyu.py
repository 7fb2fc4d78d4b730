# OFA on NYU-Depth V2: depth teacher -> rgb student.
# Pair: configs/_base_/pairs/nyu_depth_to_rgb.py; method: configs/_base_/distill/ofa.py
_base_ = ['../_base_/pairs/nyu_depth_to_rgb.py', '../_base_/distill/ofa.py']
model = dict(
    distill_losses=dict(loss_ofa=dict(_base_.ofa_losses.loss_ofa,
                                      student_channels=_base_.student_channels.stages,
                                      num_classes=_base_.num_classes,
                                      feature_dim=512, dense=True)),
    loss_forward_mappings=_base_.ofa_mappings)
