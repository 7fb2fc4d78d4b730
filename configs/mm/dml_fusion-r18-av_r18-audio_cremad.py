# DML on CREMA-D, multimodal teacher: audio-visual fusion teacher -> audio student.
# Pair: configs/_base_/pairs/cremad_fusion_to_audio.py; method: configs/_base_/distill/dml.py
_base_ = ['../_base_/pairs/cremad_fusion_to_audio.py', '../_base_/distill/dml.py']
model = dict(**_base_.dml_settings, distill_losses=_base_.dml_losses,
             loss_forward_mappings=_base_.dml_mappings)
