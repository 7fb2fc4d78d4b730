# AFD on CREMA-D, multimodal teacher: audio-visual fusion teacher -> audio student.
# Pair: configs/_base_/pairs/cremad_fusion_to_audio.py; method: configs/_base_/distill/afd.py
_base_ = ['../_base_/pairs/cremad_fusion_to_audio.py', '../_base_/distill/afd.py']
model = dict(
    distill_losses=dict(
        loss_afd=dict(_base_.afd_losses.loss_afd,
                      student_channels=_base_.student_channels.stages,
                      teacher_channels=_base_.teacher_channels.stages),
        loss_kd=_base_.afd_losses.loss_kd),
    loss_forward_mappings=_base_.afd_mappings)
