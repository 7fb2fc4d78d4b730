# Unpaired FD (ours) on RAVDESS: audio teacher (part A) -> visual student (part B), no pairs.
# Setting: configs/_base_/unpaired/ravdess_audio_to_visual.py; method: configs/_base_/distill/ufd.py;
# docs/unpaired.md.
_base_ = ['../_base_/unpaired/ravdess_audio_to_visual.py', '../_base_/distill/ufd.py']
model = dict(
    distill_losses=dict(loss_ufd=dict(_base_.ufd_loss, num_classes=_base_.num_classes,
                                      in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.ufd_mappings)
