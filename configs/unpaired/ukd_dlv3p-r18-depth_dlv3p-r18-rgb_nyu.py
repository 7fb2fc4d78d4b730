# Class-mean soft-label KD (an unpaired baseline) on NYU-Depth V2: depth teacher (part A) -> RGB
# student (part B), no pairs. Setting: configs/_base_/unpaired/nyu_depth_to_rgb.py; method:
# configs/_base_/distill/ukd.py; docs/unpaired.md.
_base_ = ['../_base_/unpaired/nyu_depth_to_rgb.py', '../_base_/distill/ukd.py']
model = dict(
    distill_losses=dict(loss_ukd=dict(_base_.ukd_loss, num_classes=_base_.num_classes,
                                      in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.ukd_mappings)
