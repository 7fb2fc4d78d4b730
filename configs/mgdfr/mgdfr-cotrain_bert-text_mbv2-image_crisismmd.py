# MGDFR step 1, co-training, on CrisisMMD: text teacher -> image student.
# Pair: configs/_base_/pairs/crisismmd_text_to_image.py; method: configs/_base_/distill/mgdfr.py
_base_ = ['../_base_/pairs/crisismmd_text_to_image.py', '../_base_/distill/mgdfr.py']
model = dict(**_base_.mgdfr_cotrain_settings,
             teacher_recorders=_base_.mgdfr_cls_head,
             distill_losses=_base_.mgdfr_cotrain_losses,
             loss_forward_mappings=_base_.mgdfr_cotrain_mappings)
