# Feat: plain feature MSE between student and teacher on FD-CMKD's feature (FitNet-style hint,
# Romero et al., ICLR 2015, in one stage). The paper's Table 2 "Feat" and Table 4's row with
# every switch off are the same experiment (the same numbers), so one config per cell serves
# both. The pair's `student_feat` connector brings the student's feature to the teacher's width
# (a projection where they differ, e.g. CrisisMMD; nothing where they are equal).
# FitNetLoss default: loss_weight 1.
feat_losses = dict(loss_feat=dict(type='FitNetLoss', loss_weight=1.0))
feat_mappings = dict(loss_feat=dict(
    student_feat=dict(from_student=True, recorder='feat', connector='student_feat'),
    teacher_feat=dict(from_student=False, recorder='feat')))
