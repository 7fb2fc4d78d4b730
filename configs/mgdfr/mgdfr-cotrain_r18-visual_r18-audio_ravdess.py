# MGDFR step 1, co-training, on RAVDESS: visual teacher -> audio student.
# Pair: configs/_base_/pairs/ravdess_visual_to_audio.py; method: configs/_base_/distill/mgdfr.py
_base_ = ['../_base_/pairs/ravdess_visual_to_audio.py', '../_base_/distill/mgdfr.py']
model = dict(**_base_.mgdfr_cotrain_settings,
             distill_losses=_base_.mgdfr_cotrain_losses,
             loss_forward_mappings=_base_.mgdfr_cotrain_mappings)
