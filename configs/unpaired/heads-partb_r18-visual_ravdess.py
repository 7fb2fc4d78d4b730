# The teacher-free control row of the unpaired comparison on RAVDESS: the visual student on part B
# with unpaired FD's band heads alone, no teacher and no teacher bank (docs/unpaired.md).
# Setting: configs/_base_/unpaired/ravdess_audio_to_visual.py; method: configs/_base_/distill/band_heads.py.
_base_ = ['../_base_/unpaired/ravdess_audio_to_visual.py', '../_base_/distill/band_heads.py']
model = dict(
    distill_losses=dict(loss_heads=dict(_base_.band_heads_loss, num_classes=_base_.num_classes,
                                        in_channels=_base_.feature_channels)),
    loss_forward_mappings=_base_.band_heads_mappings)
# Nothing of a teacher: no bank settings, no bank hook (the setting's last hook).
teacher_bank = None
teacher_dataloader = None
custom_hooks = _base_.custom_hooks[:-1]
