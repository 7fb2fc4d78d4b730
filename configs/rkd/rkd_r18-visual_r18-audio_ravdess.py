# RKD on RAVDESS: visual teacher -> audio student.
# Pair: configs/_base_/pairs/ravdess_visual_to_audio.py; method: configs/_base_/distill/rkd.py
_base_ = ['../_base_/pairs/ravdess_visual_to_audio.py', '../_base_/distill/rkd.py']
model = dict(distill_losses=_base_.rkd_losses,
             loss_forward_mappings=_base_.rkd_mappings)
