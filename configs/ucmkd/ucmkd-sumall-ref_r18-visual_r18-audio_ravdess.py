# The published unpaired method, sumall, in the authors' own protocol on RAVDESS: paired batches of
# the whole training set, a live frozen visual teacher (trained on all of it) whose features FA and
# whose classifier LA read; the losses never use the pairing. Compare with their numbers here,
# with configs/unpaired/ucmkd-sumall_* for a teacher that never saw the student's data.
# Pair: configs/_base_/pairs/ravdess_visual_to_audio.py; method: configs/_base_/distill/ucmkd.py.
_base_ = ['../_base_/pairs/ravdess_visual_to_audio.py', '../_base_/distill/ucmkd.py']
model = dict(
    distill_losses=dict(loss_cmkd=dict(_base_.ucmkd_loss, teacher_source='batch',
                                       num_classes=_base_.num_classes,
                                       in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.ucmkd_batch_mappings)
optim_wrapper = _base_.sumall_optim_wrapper
