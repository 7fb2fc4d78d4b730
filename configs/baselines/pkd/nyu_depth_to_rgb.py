# PKD on NYU-Depth V2: depth teacher (frozen) -> RGB student, DeepLabV3+ R18;
# data, schedule and teacher of configs/fdkd/nyu_depth_to_rgb.py.
# PKD (Cao et al., NeurIPS 2022): MSE / 2 of per-channel standardised features (1 - Pearson
# correlation per channel), on FD-CMKD's feature (decode head output, 128 x H/4 x W/4).
# PKDLoss defaults: loss_weight 1, eps 1e-6, student resized to the teacher if needed.
_base_ = [
    '../../_base_/models/nyu_crossmodal.py', '../../_base_/datasets/nyu_rgbd.py',
    '../../_base_/schedules/nyu_50e.py', '../../_base_/default_runtime.py'
]
model = dict(
    student=dict(data_preprocessor=_base_.rgb_preprocessor),
    teacher=dict(data_preprocessor=_base_.depth_preprocessor),
    student_input='rgb',
    teacher_input='depth',
    teacher_ckpt='work_dirs/nyu_depth_unimodal/epoch_50.pth',
    student_recorders=dict(feat=_base_.student_tensors.feat),
    teacher_recorders=dict(feat=_base_.teacher_tensors.feat),
    distill_losses=dict(
        loss_pkd=dict(type='PKDLoss', loss_weight=1.0, resize_student=True, eps=1e-6)),
    loss_forward_mappings=dict(loss_pkd=dict(
        student_feat=dict(from_student=True, recorder='feat'),
        teacher_feat=dict(from_student=False, recorder='feat'))))
work_dir = 'work_dirs/baselines/pkd/nyu_depth_to_rgb'
