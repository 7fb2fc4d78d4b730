# MGDFR step 1, co-training, on NYU-Depth V2: depth teacher -> rgb student.
# Pair: configs/_base_/pairs/nyu_depth_to_rgb.py; method: configs/_base_/distill/mgdfr.py
_base_ = ['../_base_/pairs/nyu_depth_to_rgb.py', '../_base_/distill/mgdfr.py']
model = dict(**_base_.mgdfr_cotrain_settings,
             teacher_recorders=_base_.mgdfr_seg_head,
             distill_losses=_base_.mgdfr_cotrain_losses,
             loss_forward_mappings=_base_.mgdfr_cotrain_mappings)
