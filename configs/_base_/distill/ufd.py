# Unpaired FD (ours; docs/unpaired.md): the student's class-conditional statistics of its
# standardised FD bands pulled towards a teacher bank's (low band strong MSE, high band weak
# sign-log MSE), its predictions towards the teacher's class-mean label distributions (KL at
# tau), and shared heads Phi_l / Phi_h classifying student bands and teacher bank rows alike.
# Experiment configs set num_classes and in_channels (the student's feature width).
ufd_loss = dict(
    type='UnpairedFDLoss',
    decoupler=dict(type='FrequencyDecoupler', cutoff=0.5),
    # lambda_low: class means of the low band, MSE.
    low_loss=dict(type='FrequencyAlignLoss', mode='mse', loss_weight=1.0),
    # lambda_high: class means of the high band, MSE of the sign-log.
    high_loss=dict(type='FrequencyAlignLoss', mode='log_mse', loss_weight=1.0),
    std_loss_weight=1.0,  # used with terms.std=True: per-dimension standard deviations
    temperature=4.0,  # tau of the label distributions (the bank is built at the same tau)
    label_loss_weight=1.0,  # per sample: KL(teacher's class-k distribution || student)
    label_class_loss_weight=1.0,  # with terms.label_class=True: class-mean predictions
    shared_head=dict(type='SharedHead', loss_weight=1.0),
    # Teacher rows of the shared heads: replayed bank samples (pooled) or Gaussian draws.
    teacher_samples='auto',
    num_teacher_samples=64,
    # align_teacher=False keeps the heads on the student alone (an ablation).
    terms=dict(feature=True, std=False, label=True, label_class=False, align=True,
               align_teacher=True),
    bank_file=None,  # a bank from tools/build_teacher_bank.py; None: BuildTeacherBankHook
    ignore_index=255)
ufd_mappings = dict(loss_ufd=dict(
    student_feat=dict(from_student=True, recorder='feat', connector='student_feat'),
    student_logits=dict(from_student=True, recorder='logits'),
    target=dict(labels=True)))
