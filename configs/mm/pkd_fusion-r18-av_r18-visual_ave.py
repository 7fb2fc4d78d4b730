# PKD on AVE, multimodal teacher: audio-visual fusion teacher -> visual student.
# Pair: configs/_base_/pairs/ave_fusion_to_visual.py; method: configs/_base_/distill/pkd.py
_base_ = ['../_base_/pairs/ave_fusion_to_visual.py', '../_base_/distill/pkd.py']
model = dict(distill_losses=_base_.pkd_losses,
             loss_forward_mappings=_base_.pkd_mappings)
