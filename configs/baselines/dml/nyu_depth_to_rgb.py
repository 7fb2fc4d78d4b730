# DML on NYU-Depth V2: depth teacher (trained jointly) -> RGB student, DeepLabV3+ R18;
# data, schedule and networks of configs/fdkd/nyu_depth_to_rgb.py.
# DML (Zhang et al., CVPR 2018): two peers trained together, each pulled towards the other's
# (detached) prediction. The teacher network is trainable: its own task loss is logged as
# teacher.*, the two KL terms as distill.loss_dml.loss_kl_student / .loss_kl_teacher.
# DMLLoss defaults: temperature 1 (plain softmax, as the paper), loss_weight 1.
# Start: both networks as the unimodal runs start (ImageNet-initialised backbones), since DML
# trains its peers from scratch: teacher_ckpt=None. To start the teacher from the unimodal run
# instead: --cfg-options model.teacher_ckpt=work_dirs/nyu_depth_unimodal/epoch_50.pth
_base_ = [
    '../../_base_/models/nyu_crossmodal.py', '../../_base_/datasets/nyu_rgbd.py',
    '../../_base_/schedules/nyu_50e.py', '../../_base_/default_runtime.py'
]
model = dict(
    student=dict(data_preprocessor=_base_.rgb_preprocessor),
    teacher=dict(data_preprocessor=_base_.depth_preprocessor),
    student_input='rgb',
    teacher_input='depth',
    teacher_ckpt=None,  # DML: see above
    teacher_trainable=True,
    student_recorders=dict(logits=_base_.student_tensors.logits),
    teacher_recorders=dict(logits=_base_.teacher_tensors.logits),
    distill_losses=dict(loss_dml=dict(type='DMLLoss', temperature=1.0, loss_weight=1.0)),
    loss_forward_mappings=dict(loss_dml=dict(
        student_logits=dict(from_student=True, recorder='logits'),
        teacher_logits=dict(from_student=False, recorder='logits'),
        # Dense labels: only to skip the ignored (255) pixels.
        target=dict(labels=True))))
work_dir = 'work_dirs/baselines/dml/nyu_depth_to_rgb'
