# OFD on AVE, multimodal teacher: audio-visual fusion teacher -> visual student.
# Pair: configs/_base_/pairs/ave_fusion_to_visual.py; method: configs/_base_/distill/ofd.py
_base_ = ['../_base_/pairs/ave_fusion_to_visual.py', '../_base_/distill/ofd.py']
# OFD reads the pre-activation of the teacher's other-modality branch (512 channels).
model = dict(
    connectors=dict(ofd=dict(type='OFDConnector',
                             in_channels=_base_.student_channels.feat,
                             out_channels=_base_.teacher_channels.preact)),
    distill_losses=_base_.ofd_losses,
    loss_forward_mappings=_base_.ofd_mappings)
