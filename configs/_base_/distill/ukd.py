# Class-mean soft-label KD (a simple unpaired baseline, docs/unpaired.md): each sample of class k
# is pulled towards the teacher's mean prediction on class k, tau^2 * KL(P_k || softmax(z / tau)),
# batch mean (dense: valid pixels). It is UnpairedFDLoss with its label term alone, so it reads
# the same teacher bank.
ukd_loss = dict(
    type='UnpairedFDLoss',
    temperature=4.0,
    label_loss_weight=1.0,
    terms=dict(feature=False, std=False, label=True, label_class=False, align=False,
               align_teacher=False),
    bank_file=None,
    ignore_index=255)
ukd_mappings = dict(loss_ukd=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    target=dict(labels=True)))
