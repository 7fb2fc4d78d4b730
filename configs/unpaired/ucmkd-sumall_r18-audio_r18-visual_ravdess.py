# The published unpaired method, sumall (CE + FA + LA, gradient norm clipped at 5), on RAVDESS:
# audio teacher (part A) -> visual student (part B), no pairs: FA replays the teacher bank's pooled
# features, LA reads its classifier. Setting: configs/_base_/unpaired/ravdess_audio_to_visual.py;
# method: configs/_base_/distill/ucmkd.py; docs/unpaired.md.
_base_ = ['../_base_/unpaired/ravdess_audio_to_visual.py', '../_base_/distill/ucmkd.py']
model = dict(
    distill_losses=dict(loss_cmkd=dict(_base_.ucmkd_loss, num_classes=_base_.num_classes,
                                       in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.ucmkd_mappings)
optim_wrapper = _base_.sumall_optim_wrapper
