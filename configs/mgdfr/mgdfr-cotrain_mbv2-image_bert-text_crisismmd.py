# MGDFR step 1, co-training, on CrisisMMD: image teacher -> text student.
# Pair: configs/_base_/pairs/crisismmd_image_to_text.py; method: configs/_base_/distill/mgdfr.py
_base_ = ['../_base_/pairs/crisismmd_image_to_text.py', '../_base_/distill/mgdfr.py']
model = dict(**_base_.mgdfr_cotrain_settings,
             teacher_recorders=_base_.mgdfr_cls_head,
             distill_losses=_base_.mgdfr_cotrain_losses,
             loss_forward_mappings=_base_.mgdfr_cotrain_mappings)
