# MST-Distill stage 2 on NYU-Depth V2 (depth student): the teachers' spatial mask networks on the
# decode heads' classifier input maps, from stage 1's checkpoint (configs/_base_/distill/mst.py).
_base_ = ['./mst-cotrain_dlv3p-r18-rgbd_dlv3p-r18-depth_nyu.py']
model = dict(
    teachers=_base_.mst_frozen_teachers,
    distill_losses=dict(_delete_=True, loss_mst=dict(
        **_base_.mst_loss, stage='mask', dense=True, num_classes=_base_.num_classes,
        # The decode heads' width: their 1x1 classifiers read 128-channel maps.
        mm_channels=_base_.feature_channels, cm_channels=_base_.feature_channels)),
    loss_forward_mappings=dict(_delete_=True, **_base_.mst_mappings))
optim_wrapper = _base_.mst_mask_optim_wrapper
load_from = 'work_dirs/mst-cotrain_dlv3p-r18-rgbd_dlv3p-r18-depth_nyu/epoch_50.pth'
