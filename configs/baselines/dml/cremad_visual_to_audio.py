# DML on CREMA-D: visual teacher (trained jointly) -> audio student, ResNet-18s;
# data, schedule and networks of configs/fdkd/cremad_visual_to_audio.py.
# DML (Zhang et al., CVPR 2018): two peers trained together, each pulled towards the other's
# (detached) prediction. The teacher network is trainable: its own task loss is logged as
# teacher.*, the two KL terms as distill.loss_dml.loss_kl_student / .loss_kl_teacher.
# DMLLoss defaults: temperature 1 (plain softmax, as the paper), loss_weight 1.
# Start: both networks from scratch, as DML trains its peers (and as the unimodal runs start):
# teacher_ckpt=None. To start the teacher from the unimodal run instead: --cfg-options
# model.teacher_ckpt=work_dirs/cremad_visual_unimodal/epoch_100.pth
_base_ = [
    '../../_base_/models/av_crossmodal_visual_to_audio.py', '../../_base_/datasets/cremad_av.py',
    '../../_base_/schedules/av_100e.py', '../../_base_/default_runtime.py'
]
num_classes = 6
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt=None,  # DML: see above
    teacher_trainable=True,
    student_recorders=dict(logits=_base_.student_tensors.logits),
    teacher_recorders=dict(logits=_base_.teacher_tensors.logits),
    distill_losses=dict(loss_dml=dict(type='DMLLoss', temperature=1.0, loss_weight=1.0)),
    loss_forward_mappings=dict(loss_dml=dict(
        student_logits=dict(from_student=True, recorder='logits'),
        teacher_logits=dict(from_student=False, recorder='logits'))))
# CREMA-D has no validation split (val = test): keep the last epoch.
default_hooks = dict(checkpoint=dict(save_best=None))
work_dir = 'work_dirs/baselines/dml/cremad_visual_to_audio'
