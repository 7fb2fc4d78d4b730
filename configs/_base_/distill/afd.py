# AFD (Ji et al., AAAI 2021): attention-weighted matching of every teacher stage to every student
# stage (spatial attention maps of stage2 / stage3 / stage4). As in the official training, Hinton
# KD is added (alpha 0.9, tau 4) to the student's CE and beta * AFD. Experiment configs set the
# stage widths (student_channels / teacher_channels of the pair).
# AFDLoss defaults: qk_dim 128, loss_weight (beta) 200.
afd_losses = dict(
    loss_afd=dict(type='AFDLoss', qk_dim=128, loss_weight=200.0),
    loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9))
afd_mappings = dict(
    loss_afd=dict(
        student_feats=dict(from_student=True, recorder=['stage2', 'stage3', 'stage4']),
        teacher_feats=dict(from_student=False, recorder=['stage2', 'stage3', 'stage4'])),
    loss_kd=dict(
        student_logits=dict(from_student=True, recorder='logits'),
        teacher_logits=dict(from_student=False, recorder='logits'),
        target=dict(labels=True)))
