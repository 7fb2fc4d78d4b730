# MLLD (Jin et al., CVPR 2023) as MST-Distill's KD_methods/MLLD.py: instance-level KL, batch-level
# Gram and class-level correlation alignment of softened logits, averaged over the temperatures
# and the three levels (NYU: per pixel, 255 skipped).
# MLLDLoss defaults: temperatures (2, 3, 4, 5, 6), reduction 'mst' ('paper': the authors'
# normalisation), loss_weight 1.
mlld_losses = dict(loss_mlld=dict(type='MLLDLoss', temperatures=(2.0, 3.0, 4.0, 5.0, 6.0),
                                  reduction='mst', loss_weight=1.0))
mlld_mappings = dict(loss_mlld=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_logits=dict(from_student=False, recorder='logits'),
    target=dict(labels=True)))
