# AFD on CREMA-D: audio teacher (frozen) -> visual student, ResNet-18s;
# data, schedule and teacher of configs/fdkd/cremad_audio_to_visual.py.
# AFD (Ji et al., AAAI 2021): attention-weighted matching of every teacher stage to every student
# stage (spatial attention maps of layer2 / layer3 / layer4; the video network's folded frames
# averaged, maps kept).
# AFDLoss defaults: qk_dim 128, loss_weight (beta) 200.
_base_ = [
    '../../_base_/models/av_crossmodal_audio_to_visual.py', '../../_base_/datasets/cremad_av.py',
    '../../_base_/schedules/av_100e.py', '../../_base_/default_runtime.py'
]
num_classes = 6
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/cremad_audio_unimodal/epoch_100.pth',  # its last epoch
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
# CREMA-D has no validation split (val = test): keep the last epoch.
default_hooks = dict(checkpoint=dict(save_best=None))
work_dir = 'work_dirs/baselines/afd/cremad_audio_to_visual'
