# The published unpaired method, bilevel, in the authors' own protocol on RAVDESS: paired batches of
# the whole training set, a live frozen visual teacher (trained on all of it); the losses never use
# the pairing. Pair: configs/_base_/pairs/ravdess_visual_to_audio.py; method:
# configs/_base_/distill/ucmkd.py.
_base_ = ['../_base_/pairs/ravdess_visual_to_audio.py', '../_base_/distill/ucmkd.py']
model = dict(
    distill_losses=dict(loss_cmkd=dict(_base_.ucmkd_bilevel_loss, teacher_source='batch',
                                       num_classes=_base_.num_classes,
                                       in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.ucmkd_batch_mappings)
train_cfg = _base_.bilevel_train_cfg
