# KD on CREMA-D, multimodal teacher: audio-visual fusion teacher -> visual student.
# Pair: configs/_base_/pairs/cremad_fusion_to_visual.py; method: configs/_base_/distill/kd.py
_base_ = ['../_base_/pairs/cremad_fusion_to_visual.py', '../_base_/distill/kd.py']
model = dict(distill_losses=_base_.kd_losses,
             loss_forward_mappings=_base_.kd_mappings)
