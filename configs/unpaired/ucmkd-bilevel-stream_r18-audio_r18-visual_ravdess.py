# The published unpaired method, bilevel (a temporary FA step and LA step on the head, then the
# CE gradient at the moved weights updates the student), on RAVDESS without pairs, the
# teacher's batches streamed: a frozen audio teacher (part A) runs on one batch of part A's
# audio per step (the step's three forwards share it). Compare with ucmkd-bilevel_* (the
# teacher's bank) and ../ucmkd/ucmkd-bilevel-ref_* (the authors' paired batches). Setting:
# configs/_base_/unpaired/ravdess_audio_to_visual_stream.py; method: configs/_base_/distill/ucmkd.py.
_base_ = ['../_base_/unpaired/ravdess_audio_to_visual_stream.py', '../_base_/distill/ucmkd.py']
model = dict(
    distill_losses=dict(loss_cmkd=dict(_base_.ucmkd_bilevel_loss, teacher_source='batch',
                                       num_classes=_base_.num_classes,
                                       in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.ucmkd_batch_mappings)
train_cfg = _base_.bilevel_train_cfg
