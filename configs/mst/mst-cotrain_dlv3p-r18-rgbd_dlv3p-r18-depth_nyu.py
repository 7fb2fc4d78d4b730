# MST-Distill stage 1 on NYU-Depth V2 (segmentation, 40 classes): co-training of the depth
# DeepLabV3+ student, the early-fused RGB-D teacher `mm` and the rgb teacher `cm`, all trained
# (ImageNet-initialised backbones, as every NYU model here); each network's segmentation loss +
# the per-pixel KL from the other two (configs/_base_/distill/mst.py).
# Next: stage 2 (./mst-mask_<this cell>.py), then stage 3 (./mst_<this cell>.py).
_base_ = ['../_base_/pairs/nyu_rgbd_to_depth.py', '../_base_/distill/mst.py']
model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student=_base_.model.student,
    student_input='depth',
    student_recorders=_base_.mst_seg_student_tensors,
    teachers=dict(
        mm=dict(type='fdkd_mm.TrainableTeacher', network=_base_.model.teacher,
                inputs='rgbd', recorders=_base_.mst_seg_teacher_tensors),
        # The rgb "Uni" DeepLabV3+ (configs/uni/uni_dlv3p-r18-rgb_nyu.py).
        cm=dict(type='fdkd_mm.TrainableTeacher',
                network=dict(_base_.model.student,
                             data_preprocessor=_base_.rgb_preprocessor),
                inputs='rgb', recorders=_base_.mst_seg_teacher_tensors)),
    distill_losses=_base_.mst_cotrain_losses,
    loss_forward_mappings=_base_.mst_cotrain_mappings,
    data_preprocessor=None)
# Official stages: Adam, lr 1e-4, constant, every network in one optimiser.
optim_wrapper = _base_.mst_optim_wrapper
param_scheduler = []
