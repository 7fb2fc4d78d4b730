# Feat on NYU-Depth V2: depth teacher (frozen) -> RGB student, DeepLabV3+ R18;
# data, schedule and teacher of configs/fdkd/nyu_depth_to_rgb.py.
# Feat (FitNet-style hint, Romero et al., ICLR 2015): MSE between the projected student feature
# and the teacher feature, on FD-CMKD's feature (decode head output, 128 x H/4 x W/4). Without the
# connector this equals the FD ablation with every switch off (configs/ablations/*_feat.py).
# FitNetLoss default: loss_weight 1; ProjectionConnector with BN.
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
    # FitNet's hint regressor: 1x1 conv (a linear layer on vectors) + BN, trained with the
    # student.
    connectors=dict(s_proj=dict(type='ProjectionConnector',
                                in_channels=_base_.feature_channels,
                                out_channels=_base_.feature_channels)),
    distill_losses=dict(loss_feat=dict(type='FitNetLoss', loss_weight=1.0)),
    loss_forward_mappings=dict(loss_feat=dict(
        student_feat=dict(from_student=True, recorder='feat', connector='s_proj'),
        teacher_feat=dict(from_student=False, recorder='feat'))))
work_dir = 'work_dirs/baselines/feat/nyu_depth_to_rgb'
