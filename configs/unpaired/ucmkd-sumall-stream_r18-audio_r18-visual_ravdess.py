# The published unpaired method, sumall (CE + FA + LA, gradient norm clipped at 5), on RAVDESS
# without pairs, the teacher's batches streamed: a frozen audio teacher (part A) runs at every
# step on a batch of part A's audio drawn from teacher_dataloader; FA compares its pooled
# features with the visual student's batch (part B), LA reads its classifier. Compare with
# ucmkd-sumall_* (the teacher's bank replayed) and ../ucmkd/ucmkd-sumall-ref_* (the authors'
# paired batches). Setting: configs/_base_/unpaired/ravdess_audio_to_visual_stream.py; method:
# configs/_base_/distill/ucmkd.py; docs/unpaired.md.
_base_ = ['../_base_/unpaired/ravdess_audio_to_visual_stream.py', '../_base_/distill/ucmkd.py']
model = dict(
    distill_losses=dict(loss_cmkd=dict(_base_.ucmkd_loss, teacher_source='batch',
                                       num_classes=_base_.num_classes,
                                       in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.ucmkd_batch_mappings)
optim_wrapper = _base_.sumall_optim_wrapper
