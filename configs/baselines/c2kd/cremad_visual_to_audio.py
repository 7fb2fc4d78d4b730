# C2KD on CREMA-D: visual teacher (trained jointly) -> audio student, ResNet-18s;
# data, schedule and teacher of configs/fdkd/cremad_visual_to_audio.py.
# C2KD (Huo et al., CVPR 2024): proxy heads on both networks' last stage, bidirectional
# proxy/logit KL and non-target KL between the proxies on the samples whose proxy rankings agree
# (Kendall tau > threshold). The teacher trains too (teacher.* task loss); keys
# distill.loss_c2kd.loss_student_proxy / .loss_teacher_proxy / .loss_proxy_distill.
# C2KDLoss defaults: Kendall threshold 0, paper non-target removal, proxy width = input width,
# loss_weight 1.
# Start: the teacher from the unimodal checkpoint (the official C2KD code loads its pretrained
# teacher), then trained with the student; the student from scratch.
# Classification only (proxy classifiers on pooled features, Kendall tau between per-sample class
# rankings, non-target distributions of one label per sample): there is deliberately no NYU-Depth
# V2 (segmentation) C2KD config.
_base_ = [
    '../../_base_/models/av_crossmodal_visual_to_audio.py', '../../_base_/datasets/cremad_av.py',
    '../../_base_/schedules/av_100e.py', '../../_base_/default_runtime.py'
]
num_classes = 6
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/cremad_visual_unimodal/epoch_100.pth',  # its last epoch
    teacher_trainable=True,
    student_recorders=dict(logits=_base_.student_tensors.logits,
                           stage4=_base_.student_tensors.stage4),
    teacher_recorders=dict(logits=_base_.teacher_tensors.logits,
                           stage4=_base_.teacher_tensors.stage4),
    distill_losses=dict(loss_c2kd=dict(
        type='C2KDLoss', student_channels=_base_.stage_channels[-1],
        teacher_channels=_base_.stage_channels[-1], num_classes=num_classes,
        proxy_channels=None,  # hidden width of the proxies = their input width
        kendall_threshold=0.0, non_target='remove', loss_weight=1.0)),
    loss_forward_mappings=dict(loss_c2kd=dict(
        student_feat=dict(from_student=True, recorder='stage4'),
        teacher_feat=dict(from_student=False, recorder='stage4'),
        student_logits=dict(from_student=True, recorder='logits'),
        teacher_logits=dict(from_student=False, recorder='logits'),
        target=dict(labels=True))))
# CREMA-D has no validation split (val = test): keep the last epoch.
default_hooks = dict(checkpoint=dict(save_best=None))
work_dir = 'work_dirs/baselines/c2kd/cremad_visual_to_audio'
