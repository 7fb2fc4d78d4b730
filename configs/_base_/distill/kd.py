# KD (Hinton et al., 2015), "Logit" in the tables: tau^2 * KL(softmax(z_t / tau) || softmax(z_s /
# tau)), batch mean (dense: mean over valid pixels; the labels only mark ignored pixels).
# KDLoss defaults: temperature 4, loss_weight 1.
kd_losses = dict(loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=1.0))
kd_mappings = dict(loss_kd=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_logits=dict(from_student=False, recorder='logits'),
    target=dict(labels=True)))
