# PKD on RAVDESS, multimodal teacher: audio-visual fusion teacher -> visual student.
# Pair: configs/_base_/pairs/ravdess_fusion_to_visual.py; method: configs/_base_/distill/pkd.py
_base_ = ['../_base_/pairs/ravdess_fusion_to_visual.py', '../_base_/distill/pkd.py']
model = dict(distill_losses=_base_.pkd_losses,
             loss_forward_mappings=_base_.pkd_mappings)
