# DKD (Zhao et al., CVPR 2022): logits split into target-class (TCKD) and non-target-class (NCKD)
# KL terms (one row per sample / pixel; ignored pixels skipped).
# DKDLoss defaults (mdistiller): alpha 1, beta 8, temperature 4, linear warm-up over the first 20
# epochs, loss_weight 1.
dkd_losses = dict(loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0,
                                warmup_epochs=20, loss_weight=1.0))
dkd_mappings = dict(loss_dkd=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_logits=dict(from_student=False, recorder='logits'),
    target=dict(labels=True)))
