# Feat on CREMA-D: audio teacher (frozen) -> visual student, ResNet-18s;
# data, schedule and teacher of configs/fdkd/cremad_audio_to_visual.py.
# Feat (FitNet-style hint, Romero et al., ICLR 2015): MSE between the projected student feature
# and the teacher feature, on FD-CMKD's feature (pre-activation of the last block, pooled to
# 512-d). Without the connector this equals the FD ablation with every switch off
# (configs/ablations/*_feat.py).
# FitNetLoss default: loss_weight 1; ProjectionConnector with BN.
_base_ = [
    '../../_base_/models/av_crossmodal_audio_to_visual.py', '../../_base_/datasets/cremad_av.py',
    '../../_base_/schedules/av_100e.py', '../../_base_/default_runtime.py'
]
num_classes = 6
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/cremad_audio_unimodal/epoch_100.pth',  # its last epoch
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
# CREMA-D has no validation split (val = test): keep the last epoch.
default_hooks = dict(checkpoint=dict(save_best=None))
work_dir = 'work_dirs/baselines/feat/cremad_audio_to_visual'
