# The teacher-free control of the unpaired comparison (docs/unpaired.md): UnpairedFDLoss with
# its shared heads alone, classifying the student's own standardised FD bands (no teacher rows,
# no class statistics, no labels of a teacher), so neither a teacher nor a bank is needed. The
# heads are an auxiliary classification loss of their own; unpaired FD's gain over this row,
# not over the student alone, is what the teacher bank contributes.
band_heads_loss = dict(
    type='UnpairedFDLoss',
    decoupler=dict(type='FrequencyDecoupler', cutoff=0.5),  # unpaired FD's split
    shared_head=dict(type='SharedHead', loss_weight=1.0),  # unpaired FD's heads
    terms=dict(feature=False, std=False, label=False, label_class=False, align=True,
               align_teacher=False),
    bank_file=None,
    ignore_index=255)
band_heads_mappings = dict(loss_heads=dict(
    student_feat=dict(from_student=True, recorder='feat', connector='student_feat'),
    target=dict(labels=True)))
