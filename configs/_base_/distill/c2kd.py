# C2KD (Huo et al., CVPR 2024): proxy heads on both networks' stage3 output (the official code's
# proxies read layer3, 256 channels for ResNet-18), bidirectional proxy/logit KL and non-target
# KL between the proxies on the samples (dense: pixels) whose proxy rankings agree (Kendall tau >
# threshold). The teacher trains too (teacher.* task loss), starting from its unimodal checkpoint
# as the official code loads its pretrained teacher. Keys distill.loss_c2kd.loss_student_proxy /
# .loss_teacher_proxy / .loss_proxy_distill. Experiment configs set the channels and classes.
# C2KDLoss defaults: Kendall threshold 0, the official code's non-target handling (the target's
# logit set to zero before the softmax: the code that produced the published numbers; the
# paper's wording, removing the target, is non_target='remove'), proxy width = input width.
c2kd_settings = dict(teacher_trainable=True)
c2kd_losses = dict(loss_c2kd=dict(type='C2KDLoss', proxy_channels=None, kendall_threshold=0.0,
                                  non_target='zero_logit', loss_weight=1.0))
c2kd_mappings = dict(loss_c2kd=dict(
    student_feat=dict(from_student=True, recorder='stage3'),
    teacher_feat=dict(from_student=False, recorder='stage3'),
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_logits=dict(from_student=False, recorder='logits'),
    target=dict(labels=True)))
