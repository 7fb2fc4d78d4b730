# OFA (Hao et al., NeurIPS 2023): exit branches (separable convs, pooling, a classifier) map the
# student's stage2..4 to class logits; each branch and the student's own logits are pulled to the
# teacher's distribution by the OFA loss, whose exponent eps raises the target class's weight.
# NYU: dense branches, per pixel, 255 skipped. Cells set the stage widths, the classes, the
# branches' feature width (the larger last-stage width of the two networks) and, for NYU, dense.
# OFALoss defaults (Hao840/OFAKD): eps 1.0, temperature 1, loss_weight 1, kd_loss_weight 1.
ofa_losses = dict(loss_ofa=dict(type='OFALoss', stages=(2, 3, 4), eps=1.0, temperature=1.0,
                                loss_weight=1.0, kd_loss_weight=1.0))
ofa_mappings = dict(loss_ofa=dict(
    student_feats=dict(from_student=True, recorder=['stage2', 'stage3', 'stage4']),
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_logits=dict(from_student=False, recorder='logits'),
    target=dict(labels=True)))
