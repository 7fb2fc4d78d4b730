# PKD on CREMA-D: visual teacher (frozen) -> audio student, ResNet-18s;
# data, schedule and teacher of configs/fdkd/cremad_visual_to_audio.py.
# PKD (Cao et al., NeurIPS 2022): MSE / 2 of per-channel standardised features (1 - Pearson
# correlation per channel), on FD-CMKD's feature (pre-activation of the last block, pooled to
# 512-d).
# PKDLoss defaults: loss_weight 1, eps 1e-6, student resized to the teacher if needed.
_base_ = [
    '../../_base_/models/av_crossmodal_visual_to_audio.py', '../../_base_/datasets/cremad_av.py',
    '../../_base_/schedules/av_100e.py', '../../_base_/default_runtime.py'
]
num_classes = 6
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/cremad_visual_unimodal/epoch_100.pth',  # its last epoch
    student_recorders=dict(feat=_base_.student_tensors.feat),
    teacher_recorders=dict(feat=_base_.teacher_tensors.feat),
    distill_losses=dict(
        loss_pkd=dict(type='PKDLoss', loss_weight=1.0, resize_student=True, eps=1e-6)),
    loss_forward_mappings=dict(loss_pkd=dict(
        student_feat=dict(from_student=True, recorder='feat'),
        teacher_feat=dict(from_student=False, recorder='feat'))))
# CREMA-D has no validation split (val = test): keep the last epoch.
default_hooks = dict(checkpoint=dict(save_best=None))
work_dir = 'work_dirs/baselines/pkd/cremad_visual_to_audio'
