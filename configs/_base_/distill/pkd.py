# PKD (Cao et al., NeurIPS 2022): MSE / 2 of per-channel standardised features (1 - Pearson
# correlation per channel), on FD-CMKD's feature (through the pair's `student_feat` connector
# where the widths differ).
# PKDLoss defaults: loss_weight 1, eps 1e-6, student resized to the teacher if needed.
pkd_losses = dict(loss_pkd=dict(type='PKDLoss', loss_weight=1.0, resize_student=True, eps=1e-6))
pkd_mappings = dict(loss_pkd=dict(
    student_feat=dict(from_student=True, recorder='feat', connector='student_feat'),
    teacher_feat=dict(from_student=False, recorder='feat')))
