# FD-CMKD (Liu et al., AAAI 2026; docs/method.md): the features split by an rFFT along the
# feature dimension; the low band aligned strongly (MSE), the high band weakly (sign-log MSE),
# after scale standardization; shared heads Phi_l / Phi_h classify student and teacher bands
# alike; the student's auxiliary band heads join its task loss. Experiment configs set
# num_classes and in_channels (the teacher's feature width; the pair's `student_feat` connector
# projects the student's feature to it where the widths differ).
fdkd_loss = dict(
    type='FDCMKDLoss',
    # cutoff: the low band is the lower half of the rFFT bins without DC (Table 7 varies it).
    decoupler=dict(type='FrequencyDecoupler', cutoff=0.5),
    # lambda_1: strong low-band alignment, MSE(Std(S_low), Std(T_low)).
    low_loss=dict(type='FrequencyAlignLoss', mode='mse', loss_weight=1.0),
    # lambda_2: weak high-band alignment, MSE of sign-log of the standardised bands.
    high_loss=dict(type='FrequencyAlignLoss', mode='log_mse', loss_weight=1.0),
    # Phi_l / Phi_h classifying student and (detached) teacher bands alike: L_align.
    shared_head=dict(type='SharedHead', loss_weight=1.0),
    # The student's own band heads, part of L_task.
    aux_head=dict(type='SharedHead', loss_weight=1.0),
    # Table 4 switches: all on is FD-CMKD; all off is plain feature MSE ("Feat").
    ablation=dict(frequency=True, align=True, scale=True, log=True),
    ignore_index=255)
fdkd_mappings = dict(loss_fd=dict(
    student_feat=dict(from_student=True, recorder='feat', connector='student_feat'),
    teacher_feat=dict(from_student=False, recorder='feat'),
    target=dict(labels=True)))
