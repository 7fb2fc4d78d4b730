# OFA on RAVDESS: visual teacher -> audio student.
# Pair: configs/_base_/pairs/ravdess_visual_to_audio.py; method: configs/_base_/distill/ofa.py
_base_ = ['../_base_/pairs/ravdess_visual_to_audio.py', '../_base_/distill/ofa.py']
model = dict(
    distill_losses=dict(loss_ofa=dict(_base_.ofa_losses.loss_ofa,
                                      student_channels=_base_.student_channels.stages,
                                      num_classes=_base_.num_classes,
                                      feature_dim=512)),
    loss_forward_mappings=_base_.ofa_mappings)
