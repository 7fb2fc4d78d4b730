# DKD on NYU-Depth V2: depth teacher (frozen) -> RGB student, DeepLabV3+ R18;
# data, schedule and teacher of configs/fdkd/nyu_depth_to_rgb.py.
# DKD (Zhao et al., CVPR 2022): logits split into target-class (TCKD) and non-target-class (NCKD)
# KL terms, one row per pixel; ignored (255) pixels skipped.
# DKDLoss defaults (mdistiller): alpha 1, beta 8, temperature 4, linear warm-up over the first 20
# epochs, loss_weight 1.
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
    student_recorders=dict(logits=_base_.student_tensors.logits),
    teacher_recorders=dict(logits=_base_.teacher_tensors.logits),
    distill_losses=dict(loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0,
                                      warmup_epochs=20, loss_weight=1.0)),
    loss_forward_mappings=dict(loss_dkd=dict(
        student_logits=dict(from_student=True, recorder='logits'),
        teacher_logits=dict(from_student=False, recorder='logits'),
        target=dict(labels=True))))
work_dir = 'work_dirs/baselines/dkd/nyu_depth_to_rgb'
