# DIST on CREMA-D: visual teacher (frozen) -> audio student, ResNet-18s;
# data, schedule and teacher of configs/fdkd/cremad_visual_to_audio.py.
# DIST (Huang et al., NeurIPS 2022): Pearson relations of the softened predictions, inter-class
# (per sample) and intra-class (per class over the batch).
# DISTLoss defaults: beta (inter) 1, gamma (intra) 1, temperature 1, loss_weight 1.
_base_ = [
    '../../_base_/models/av_crossmodal_visual_to_audio.py', '../../_base_/datasets/cremad_av.py',
    '../../_base_/schedules/av_100e.py', '../../_base_/default_runtime.py'
]
num_classes = 6
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/cremad_visual_unimodal/epoch_100.pth',  # its last epoch
    student_recorders=dict(logits=_base_.student_tensors.logits),
    teacher_recorders=dict(logits=_base_.teacher_tensors.logits),
    distill_losses=dict(loss_dist=dict(type='DISTLoss', beta=1.0, gamma=1.0, temperature=1.0,
                                       loss_weight=1.0)),
    loss_forward_mappings=dict(loss_dist=dict(
        student_logits=dict(from_student=True, recorder='logits'),
        teacher_logits=dict(from_student=False, recorder='logits'))))
# CREMA-D has no validation split (val = test): keep the last epoch.
default_hooks = dict(checkpoint=dict(save_best=None))
work_dir = 'work_dirs/baselines/dist/cremad_visual_to_audio'
