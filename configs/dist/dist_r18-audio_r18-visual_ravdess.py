# DIST on RAVDESS: audio teacher -> visual student.
# Pair: configs/_base_/pairs/ravdess_audio_to_visual.py; method: configs/_base_/distill/dist.py
_base_ = ['../_base_/pairs/ravdess_audio_to_visual.py', '../_base_/distill/dist.py']
model = dict(distill_losses=_base_.dist_losses,
             loss_forward_mappings=_base_.dist_mappings)
