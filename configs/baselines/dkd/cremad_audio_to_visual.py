# DKD on CREMA-D: audio teacher (frozen) -> visual student, ResNet-18s;
# data, schedule and teacher of configs/fdkd/cremad_audio_to_visual.py.
# DKD (Zhao et al., CVPR 2022): logits split into target-class (TCKD) and non-target-class (NCKD)
# KL terms.
# DKDLoss defaults (mdistiller): alpha 1, beta 8, temperature 4, linear warm-up over the first 20
# epochs, loss_weight 1.
_base_ = [
    '../../_base_/models/av_crossmodal_audio_to_visual.py', '../../_base_/datasets/cremad_av.py',
    '../../_base_/schedules/av_100e.py', '../../_base_/default_runtime.py'
]
num_classes = 6
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/cremad_audio_unimodal/epoch_100.pth',  # its last epoch
    student_recorders=dict(logits=_base_.student_tensors.logits),
    teacher_recorders=dict(logits=_base_.teacher_tensors.logits),
    distill_losses=dict(loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0,
                                      warmup_epochs=20, loss_weight=1.0)),
    loss_forward_mappings=dict(loss_dkd=dict(
        student_logits=dict(from_student=True, recorder='logits'),
        teacher_logits=dict(from_student=False, recorder='logits'),
        target=dict(labels=True))))
# CREMA-D has no validation split (val = test): keep the last epoch.
default_hooks = dict(checkpoint=dict(save_best=None))
work_dir = 'work_dirs/baselines/dkd/cremad_audio_to_visual'
