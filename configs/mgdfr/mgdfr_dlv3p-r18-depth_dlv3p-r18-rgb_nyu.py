# MGDFR step 3, KD from the co-trained teacher, on NYU-Depth V2: depth teacher -> rgb student.
# Pair: configs/_base_/pairs/nyu_depth_to_rgb.py; method: configs/_base_/distill/mgdfr.py
# Needs its co-training cell trained, the teacher exported and the salience computed
# (steps 1-2: configs/_base_/distill/mgdfr.py).
_base_ = ['../_base_/pairs/nyu_depth_to_rgb.py', '../_base_/distill/mgdfr.py']
_cotrain = 'work_dirs/mgdfr-cotrain_dlv3p-r18-depth_dlv3p-r18-rgb_nyu'
model = dict(
    teacher_recorders=_base_.mgdfr_seg_head,
    teacher_ckpt=_cotrain + '/teacher.pth',
    distill_losses=dict(loss_mgdfr=dict(_base_.mgdfr_losses.loss_mgdfr,
                                        salience_file=_cotrain + '/salience.pth')),
    loss_forward_mappings=_base_.mgdfr_mappings)
