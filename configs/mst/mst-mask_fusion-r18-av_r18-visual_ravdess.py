# MST-Distill stage 2 on ravdess (visual student): the teachers' mask networks, from stage 1's
# checkpoint (configs/_base_/distill/mst.py).
_base_ = ['./mst-cotrain_fusion-r18-av_r18-visual_ravdess.py']
model = dict(
    teachers=_base_.mst_frozen_teachers,
    distill_losses=dict(_delete_=True, loss_mst=dict(
        **_base_.mst_loss, stage='mask', num_classes=_base_.num_classes,
        mm_channels=_base_.fusion_channels, cm_channels=512)),
    loss_forward_mappings=dict(_delete_=True, **_base_.mst_mappings))
optim_wrapper = _base_.mst_mask_optim_wrapper
load_from = 'work_dirs/mst-cotrain_fusion-r18-av_r18-visual_ravdess/epoch_100.pth'
