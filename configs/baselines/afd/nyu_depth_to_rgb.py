# AFD on NYU-Depth V2: depth teacher (frozen) -> RGB student, DeepLabV3+ R18;
# data, schedule and teacher of configs/fdkd/nyu_depth_to_rgb.py.
# AFD (Ji et al., AAAI 2021): attention-weighted matching of every teacher stage to every student
# stage (spatial attention maps of layer2 / layer3 / layer4).
# AFDLoss defaults: qk_dim 128, loss_weight (beta) 200.
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
    student_recorders=dict(stage2=_base_.student_tensors.stage2,
                           stage3=_base_.student_tensors.stage3,
                           stage4=_base_.student_tensors.stage4),
    teacher_recorders=dict(stage2=_base_.teacher_tensors.stage2,
                           stage3=_base_.teacher_tensors.stage3,
                           stage4=_base_.teacher_tensors.stage4),
    distill_losses=dict(loss_afd=dict(
        type='AFDLoss', student_channels=_base_.stage_channels,
        teacher_channels=_base_.stage_channels, qk_dim=128, loss_weight=200.0)),
    loss_forward_mappings=dict(loss_afd=dict(
        student_feats=dict(from_student=True, recorder=['stage2', 'stage3', 'stage4']),
        teacher_feats=dict(from_student=False, recorder=['stage2', 'stage3', 'stage4']))))
work_dir = 'work_dirs/baselines/afd/nyu_depth_to_rgb'
