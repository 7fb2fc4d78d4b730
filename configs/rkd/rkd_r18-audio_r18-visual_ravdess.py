# RKD on RAVDESS: audio teacher -> visual student.
# Pair: configs/_base_/pairs/ravdess_audio_to_visual.py; method: configs/_base_/distill/rkd.py
_base_ = ['../_base_/pairs/ravdess_audio_to_visual.py', '../_base_/distill/rkd.py']
model = dict(distill_losses=_base_.rkd_losses,
             loss_forward_mappings=_base_.rkd_mappings)
