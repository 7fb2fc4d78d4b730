# The published unpaired method, bilevel (a temporary FA step and LA step on the head, then the
# CE gradient at the moved weights updates the student), on RAVDESS: visual teacher (part A) ->
# audio student (part B), no pairs, the teacher from its bank. Setting:
# configs/_base_/unpaired/ravdess_visual_to_audio.py; method: configs/_base_/distill/ucmkd.py.
_base_ = ['../_base_/unpaired/ravdess_visual_to_audio.py', '../_base_/distill/ucmkd.py']
model = dict(
    distill_losses=dict(loss_cmkd=dict(_base_.ucmkd_bilevel_loss, num_classes=_base_.num_classes,
                                       in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.ucmkd_mappings)
train_cfg = _base_.bilevel_train_cfg
