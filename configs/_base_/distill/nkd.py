# NKD (Yang et al., ICCV 2023): teacher-weighted target term plus normalised non-target
# distributions (one row per sample / pixel; ignored pixels skipped).
# NKDLoss defaults: temperature 1, gamma 1.5, loss_weight 1.
nkd_losses = dict(loss_nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5, loss_weight=1.0))
nkd_mappings = dict(loss_nkd=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_logits=dict(from_student=False, recorder='logits'),
    target=dict(labels=True)))
