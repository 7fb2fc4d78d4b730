# MST-Distill stage 3 on cremad (audio student): routed top-k distillation from the masked
# teachers, from stage 2's checkpoint (configs/_base_/distill/mst.py).
_base_ = ['./mst-mask_fusion-r18-av_r18-audio_cremad.py']
model = dict(distill_losses=dict(loss_mst=dict(stage='distill')))
optim_wrapper = _base_.mst_optim_wrapper  # student and router; Adam, lr 1e-4
load_from = 'work_dirs/mst-mask_fusion-r18-av_r18-audio_cremad/epoch_100.pth'
