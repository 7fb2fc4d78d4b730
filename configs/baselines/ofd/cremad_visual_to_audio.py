# OFD on CREMA-D: visual teacher (frozen) -> audio student, ResNet-18s;
# data, schedule and teacher of configs/fdkd/cremad_visual_to_audio.py.
# OFD (Heo et al., ICCV 2019): partial L2 between the connected student and the margin-clipped
# teacher feature, at the pre-ReLU position (pooled pre-activation of the last block; margin from
# its bn2).
# OFDLoss default: loss_weight 1e-3 (the official CIFAR-100 scale of the per-sample sum), here
# over a 512-d vector.
_base_ = [
    '../../_base_/models/av_crossmodal_visual_to_audio.py', '../../_base_/datasets/cremad_av.py',
    '../../_base_/schedules/av_100e.py', '../../_base_/default_runtime.py'
]
num_classes = 6
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/cremad_visual_unimodal/epoch_100.pth',  # its last epoch
    student_recorders=dict(preact=_base_.student_tensors.preact),
    teacher_recorders=dict(preact=_base_.teacher_tensors.preact),
    # OFD's student transform: 1x1 conv + BN to the teacher's width.
    connectors=dict(ofd=dict(type='OFDConnector', in_channels=_base_.feature_channels,
                             out_channels=_base_.feature_channels)),
    distill_losses=dict(loss_ofd=dict(type='OFDLoss', loss_weight=1e-3)),
    loss_forward_mappings=dict(loss_ofd=dict(
        student_feat=dict(from_student=True, recorder='preact', connector='ofd'),
        teacher_feat=dict(from_student=False, recorder='preact'),
        # Per-channel margin from the teacher BN before the feature, at every step.
        margin=dict(teacher_bn=_base_.teacher_preact_bn))))
# CREMA-D has no validation split (val = test): keep the last epoch.
default_hooks = dict(checkpoint=dict(save_best=None))
work_dir = 'work_dirs/baselines/ofd/cremad_visual_to_audio'
