# DML (Zhang et al., CVPR 2018): two peers trained together, each pulled towards the other's
# (detached) prediction. The teacher network trains too: its task loss is logged as teacher.*,
# the two KL terms as distill.loss_dml.loss_kl_student / .loss_kl_teacher. Both networks start
# as the unimodal runs start (DML trains its peers from scratch), so no teacher checkpoint;
# to start the teacher from its unimodal run: --cfg-options model.teacher_ckpt=<its .pth>.
# DMLLoss defaults: temperature 1 (plain softmax, as the paper), loss_weight 1.
dml_settings = dict(teacher_trainable=True, teacher_ckpt=None)
dml_losses = dict(loss_dml=dict(type='DMLLoss', temperature=1.0, loss_weight=1.0))
dml_mappings = dict(loss_dml=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_logits=dict(from_student=False, recorder='logits'),
    target=dict(labels=True)))  # dense labels: only to skip ignored pixels
