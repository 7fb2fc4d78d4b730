# KD on VGGSound-50k under MST-Distill's protocol (141 classes, their split): visual -> audio.
# Pair: configs/_base_/pairs/vggsound50k_mst_visual_to_audio.py;
# method: configs/_base_/distill/kd.py
_base_ = ['../_base_/pairs/vggsound50k_mst_visual_to_audio.py', '../_base_/distill/kd.py']
model = dict(distill_losses=_base_.kd_losses,
             loss_forward_mappings=_base_.kd_mappings)
