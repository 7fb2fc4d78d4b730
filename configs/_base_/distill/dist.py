# DIST (Huang et al., NeurIPS 2022): Pearson relations of the softened predictions, inter-class
# (per sample / pixel) and intra-class (per class over the batch).
# DISTLoss defaults: beta (inter) 1, gamma (intra) 1, temperature 1, loss_weight 1.
dist_losses = dict(loss_dist=dict(type='DISTLoss', beta=1.0, gamma=1.0, temperature=1.0,
                                  loss_weight=1.0))
dist_mappings = dict(loss_dist=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_logits=dict(from_student=False, recorder='logits')))
