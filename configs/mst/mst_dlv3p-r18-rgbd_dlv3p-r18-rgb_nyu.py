# MST-Distill stage 3 on NYU-Depth V2 (rgb student): routed top-k distillation from the masked
# teachers (dense router on the student's logit map), from stage 2's checkpoint
# (configs/_base_/distill/mst.py).
_base_ = ['./mst-mask_dlv3p-r18-rgbd_dlv3p-r18-rgb_nyu.py']
model = dict(distill_losses=dict(loss_mst=dict(stage='distill')))
optim_wrapper = _base_.mst_optim_wrapper  # student and router; Adam, lr 1e-4
load_from = 'work_dirs/mst-mask_dlv3p-r18-rgbd_dlv3p-r18-rgb_nyu/epoch_50.pth'
