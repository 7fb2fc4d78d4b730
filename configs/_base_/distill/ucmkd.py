# The published algorithm of "Cross-Modal Knowledge Distillation without Paired Data" (ICML
# 2026; the authors' code: GitHub khiembk/UnpairedCMKD), docs/unpaired.md: feature alignment
# (FA, POT's Sinkhorn cost between the student's batch of pooled features and a batch of the
# teacher's, reg 0.1, 100 iterations) and label alignment (LA, the student's feature through the
# teacher's classifier), keys distill.loss_fa and distill.loss_la, beside the student's CE.
# Experiment configs set num_classes and in_channels, and pick a variant and a teacher source.

# sumall: CE + FA + LA in one step, the cost clamped at 0, LA's teacher term with gradient,
# gradient-norm clipping at 5.0 (MMEngine's clip_grad, below).
ucmkd_loss = dict(
    type='UnpairedCMKDLoss',
    terms=dict(fa=True, la=True),
    fa_loss_weight=1.0,
    la_loss_weight=1.0,
    sinkhorn=dict(reg=0.1, num_iter_max=100),
    clamp_cost=True,
    normalize_eps=1e-8,
    la_teacher_grad=True,
    # 'bank': the teacher's own data, summarised before training (teacher-free distiller);
    # 'batch': a live teacher mapped as teacher_feat / teacher_head_weight / _bias.
    teacher_source='bank',
    teacher_batch_size=None,  # FA's teacher batch from the bank: as large as the student's
    bank_file=None)
sumall_optim_wrapper = dict(clip_grad=dict(_delete_=True, max_norm=5.0))

# bilevel: per batch a temporary FA step, an LA step on the head (p_T without gradient), then
# the CE gradient at the moved weights updates the student (fdkd_mm/engine/bilevel_step.py).
# The authors' bilevel neither clamps the cost nor clips gradients.
ucmkd_bilevel_loss = dict(ucmkd_loss, clamp_cost=False, la_teacher_grad=False)
bilevel_train_cfg = dict(type='fdkd_mm.BilevelEpochBasedTrainLoop',
                         bilevel=dict(fa_key='distill.loss_fa', la_key='distill.loss_la',
                                      ce_key='student.loss', head='student.head'))

# Without pairs: everything of the teacher comes from its bank.
ucmkd_mappings = dict(loss_cmkd=dict(
    student_feat=dict(from_student=True, recorder='feat', connector='student_feat'),
    student_logits=dict(from_student=True, recorder='logits'),
    target=dict(labels=True)))
# The authors' protocol: a live frozen teacher on the other modality of the same batch (the
# losses never use the pairing) and its classifier as parameters.
ucmkd_batch_mappings = dict(loss_cmkd=dict(
    ucmkd_mappings['loss_cmkd'],
    teacher_feat=dict(from_student=False, recorder='feat'),
    teacher_head_weight=dict(from_student=False, recorder='head_weight'),
    teacher_head_bias=dict(from_student=False, recorder='head_bias')))
