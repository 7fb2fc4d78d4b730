# FD-CMKD on RAVDESS, multimodal teacher: audio-visual fusion teacher -> visual student.
# Pair: configs/_base_/pairs/ravdess_fusion_to_visual.py; method: configs/_base_/distill/fdkd.py
_base_ = ['../_base_/pairs/ravdess_fusion_to_visual.py', '../_base_/distill/fdkd.py']
# FD-CMKD at the fused width (1024): the student's feature projected by the pair's
# `student_feat` connector, the shared heads at 1024.
model = dict(
    distill_losses=dict(loss_fd=dict(_base_.fdkd_loss, num_classes=_base_.num_classes,
                                     in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.fdkd_mappings)
