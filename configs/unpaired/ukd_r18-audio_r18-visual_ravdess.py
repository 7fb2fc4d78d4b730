# Class-mean soft-label KD (an unpaired baseline) on RAVDESS: audio teacher (part A) -> visual
# student (part B), no pairs. Setting: configs/_base_/unpaired/ravdess_audio_to_visual.py; method:
# configs/_base_/distill/ukd.py; docs/unpaired.md.
_base_ = ['../_base_/unpaired/ravdess_audio_to_visual.py', '../_base_/distill/ukd.py']
model = dict(
    distill_losses=dict(loss_ukd=dict(_base_.ukd_loss, num_classes=_base_.num_classes,
                                      in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.ukd_mappings)
