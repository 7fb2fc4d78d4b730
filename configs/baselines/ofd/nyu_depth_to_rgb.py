# OFD on NYU-Depth V2: depth teacher (frozen) -> RGB student, DeepLabV3+ R18;
# data, schedule and teacher of configs/fdkd/nyu_depth_to_rgb.py.
# OFD (Heo et al., ICCV 2019): partial L2 between the connected student and the margin-clipped
# teacher feature, at the pre-ReLU position (decode head feature before its last ReLU; margin from
# its BN).
# loss_weight 1e-5 (not the OFDLoss default 1e-3): the official segmentation script scales the
# per-sample sum by 1e-5 (`loss_distill.sum() / batch_size * 1e-5`); on 128 x 120 x 160 dense maps
# 1e-3 would dwarf the task loss.
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
    student_recorders=dict(preact=_base_.student_tensors.preact),
    teacher_recorders=dict(preact=_base_.teacher_tensors.preact),
    # OFD's student transform: 1x1 conv + BN to the teacher's width.
    connectors=dict(ofd=dict(type='OFDConnector', in_channels=_base_.feature_channels,
                             out_channels=_base_.feature_channels)),
    distill_losses=dict(loss_ofd=dict(type='OFDLoss', loss_weight=1e-5)),
    loss_forward_mappings=dict(loss_ofd=dict(
        student_feat=dict(from_student=True, recorder='preact', connector='ofd'),
        teacher_feat=dict(from_student=False, recorder='preact'),
        # Per-channel margin from the teacher BN before the feature, at every step.
        margin=dict(teacher_bn=_base_.teacher_preact_bn))))
work_dir = 'work_dirs/baselines/ofd/nyu_depth_to_rgb'
