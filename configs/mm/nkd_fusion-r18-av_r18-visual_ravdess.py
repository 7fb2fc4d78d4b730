# NKD on RAVDESS, multimodal teacher: audio-visual fusion teacher -> visual student.
# Pair: configs/_base_/pairs/ravdess_fusion_to_visual.py; method: configs/_base_/distill/nkd.py
_base_ = ['../_base_/pairs/ravdess_fusion_to_visual.py', '../_base_/distill/nkd.py']
model = dict(distill_losses=_base_.nkd_losses,
             loss_forward_mappings=_base_.nkd_mappings)
