# Feat on RAVDESS: visual teacher -> audio student.
# Pair: configs/_base_/pairs/ravdess_visual_to_audio.py; method: configs/_base_/distill/feat.py
_base_ = ['../_base_/pairs/ravdess_visual_to_audio.py', '../_base_/distill/feat.py']
model = dict(distill_losses=_base_.feat_losses,
             loss_forward_mappings=_base_.feat_mappings)
