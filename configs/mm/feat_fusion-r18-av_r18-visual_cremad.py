# Feat on CREMA-D, multimodal teacher: audio-visual fusion teacher -> visual student.
# Pair: configs/_base_/pairs/cremad_fusion_to_visual.py; method: configs/_base_/distill/feat.py
_base_ = ['../_base_/pairs/cremad_fusion_to_visual.py', '../_base_/distill/feat.py']
model = dict(distill_losses=_base_.feat_losses,
             loss_forward_mappings=_base_.feat_mappings)
