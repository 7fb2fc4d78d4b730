# DIST on NYU-Depth V2: depth teacher (frozen) -> RGB student, DeepLabV3+ R18;
# data, schedule and teacher of configs/fdkd/nyu_depth_to_rgb.py.
# DIST (Huang et al., NeurIPS 2022): Pearson relations of the softened predictions, inter-class
# (per pixel) and intra-class (per class over the pixels of the batch).
# DISTLoss defaults: beta (inter) 1, gamma (intra) 1, temperature 1, loss_weight 1.
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
    distill_losses=dict(loss_dist=dict(type='DISTLoss', beta=1.0, gamma=1.0, temperature=1.0,
                                       loss_weight=1.0)),
    loss_forward_mappings=dict(loss_dist=dict(
        student_logits=dict(from_student=True, recorder='logits'),
        teacher_logits=dict(from_student=False, recorder='logits'))))
work_dir = 'work_dirs/baselines/dist/nyu_depth_to_rgb'
