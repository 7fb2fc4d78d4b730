# C2KD on CREMA-D, multimodal teacher: audio-visual fusion teacher -> visual student.
# Pair: configs/_base_/pairs/cremad_fusion_to_visual.py; method: configs/_base_/distill/c2kd.py
_base_ = ['../_base_/pairs/cremad_fusion_to_visual.py', '../_base_/distill/c2kd.py']
model = dict(
    **_base_.c2kd_settings,
    distill_losses=dict(loss_c2kd=dict(
        _base_.c2kd_losses.loss_c2kd, num_classes=_base_.num_classes,
        student_channels=_base_.student_channels.proxy,
        teacher_channels=_base_.teacher_channels.proxy)),
    loss_forward_mappings=_base_.c2kd_mappings)
