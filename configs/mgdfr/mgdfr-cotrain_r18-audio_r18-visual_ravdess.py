# MGDFR step 1, co-training, on RAVDESS: audio teacher -> visual student.
# Pair: configs/_base_/pairs/ravdess_audio_to_visual.py; method: configs/_base_/distill/mgdfr.py
_base_ = ['../_base_/pairs/ravdess_audio_to_visual.py', '../_base_/distill/mgdfr.py']
model = dict(**_base_.mgdfr_cotrain_settings,
             distill_losses=_base_.mgdfr_cotrain_losses,
             loss_forward_mappings=_base_.mgdfr_cotrain_mappings)
