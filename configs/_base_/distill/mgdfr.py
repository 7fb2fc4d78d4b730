# MGDFR as MST-Distill's benchmark runs it, in three steps (docs/baselines.md):
# 1. co-training (cells mgdfr-cotrain_*): teacher and student from scratch, both trained, each
#    network's CE + MSE of their logits;
# 2. tools/mgdfr_salience.py: per teacher-feature channel, how much shuffling it across the batch
#    moves the teacher's logits away from the student's (min-max normalised), written to
#    work_dirs/mgdfr-cotrain_<cell>/salience.pth; tools/export_student.py --prefix teacher.
#    exports the co-trained teacher to work_dirs/mgdfr-cotrain_<cell>/teacher.pth;
# 3. KD (cells mgdfr_*): a fresh student learns from that teacher with its 75 % least salient
#    feature channels replaced by their batch mean (KL, temperature 4).
# The teacher's logits are recomputed from its recorded feature and its linear classifier
# (head_weight / head_bias), which is exactly what rerunning the classifier gives.
mgdfr_cotrain_settings = dict(teacher_trainable=True, teacher_ckpt=None)
mgdfr_cotrain_losses = dict(loss_mgdfr_cotrain=dict(type='MGDFRCoTrainLoss', loss_weight=1.0))
mgdfr_cotrain_mappings = dict(loss_mgdfr_cotrain=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_logits=dict(from_student=False, recorder='logits')))
# MGDFRLoss defaults (MST-Distill): ratio 0.75, temperature 4, loss_weight 1.
mgdfr_losses = dict(loss_mgdfr=dict(type='MGDFRLoss', ratio=0.75, temperature=4.0,
                                    loss_weight=1.0))
mgdfr_mappings = dict(loss_mgdfr=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_feat=dict(from_student=False, recorder='feat'),
    head_weight=dict(from_student=False, recorder='head_weight'),
    head_bias=dict(from_student=False, recorder='head_bias'),
    target=dict(labels=True)))  # dense labels: only to skip ignored pixels
# The teacher classifier's parameters, for pairs whose vocabulary lacks them.
mgdfr_cls_head = dict(head_weight=dict(path='head.fc.weight', source='parameter'),
                      head_bias=dict(path='head.fc.bias', source='parameter'))
mgdfr_seg_head = dict(head_weight=dict(path='decode_head.conv_seg.weight', source='parameter'),
                      head_bias=dict(path='decode_head.conv_seg.bias', source='parameter'))
