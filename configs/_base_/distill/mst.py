# MST-Distill (ACM MM 2025) as its official code runs it, in three stages (docs/baselines.md),
# one cell each, every stage starting from the previous one's checkpoint (load_from):
# 1. co-training (cells mst-cotrain_*): the student, the multimodal teacher `mm` and the
#    cross-modal teacher `cm` (the modality the student lacks) from scratch, all trained: each
#    network's CE + KL (temperature 4, nothing detached) from each of the other two;
# 2. masking networks (cells mst-mask_*): teachers frozen, student not updated (lr_mult 0);
#    one mask network per teacher on the feature its linear classifier reads, trained to pull
#    the masked teacher's logits towards the student's (Adam, lr 1e-4, as the official stage);
# 3. routed distillation (cells mst_*): teachers and masks frozen; the router picks each
#    sample's top-k (k=1) specialised teacher; student CE + KL + load balancing, weights
#    decayed per epoch as the official loop does.
mst_teacher_tensors = dict(
    logits=dict(path='head.fc'),
    head_input=dict(path='head.fc', source='input'),  # exactly what the classifier reads
    head_weight=dict(path='head.fc.weight', source='parameter'),
    head_bias=dict(path='head.fc.bias', source='parameter'))
mst_student_tensors = dict(logits=dict(path='head.fc'))

# Stage 1.
mst_cotrain_losses = dict(loss_mst_cotrain=dict(type='MSTCoTrainLoss', temperature=4.0,
                                                loss_weight=1.0))
mst_cotrain_mappings = dict(loss_mst_cotrain=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    mm_logits=dict(teacher='mm', recorder='logits'),
    cm_logits=dict(teacher='cm', recorder='logits')))

# Stages 2 and 3: one loss (MSTLoss) so stage 3 loads the masks stage 2 trained. Cells add
# num_classes, mm_channels and cm_channels. Official defaults: k 1, 3 mask heads, KL load
# balancing, w_kl = w_lb = 1 with the per-epoch decay, temperature 4.
mst_loss = dict(type='MSTLoss', k=1, mask_heads=3, temperature=4.0, kl_weight=1.0,
                lb_weight=1.0, lb_mode='KL', decay=True)
mst_mappings = dict(loss_mst=dict(
    student_logits=dict(from_student=True, recorder='logits'),
    mm_feat=dict(teacher='mm', recorder='head_input'),
    mm_head_weight=dict(teacher='mm', recorder='head_weight'),
    mm_head_bias=dict(teacher='mm', recorder='head_bias'),
    cm_feat=dict(teacher='cm', recorder='head_input'),
    cm_head_weight=dict(teacher='cm', recorder='head_weight'),
    cm_head_bias=dict(teacher='cm', recorder='head_bias')))
mst_frozen_teachers = dict(mm=dict(type='fdkd_mm.FrozenTeacher'),
                           cm=dict(type='fdkd_mm.FrozenTeacher'))
# Stage 2's optimiser (official: Adam, lr 1e-4, constant) with the student held still.
mst_mask_optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4),
    paramwise_cfg=dict(custom_keys={'student': dict(lr_mult=0.0)}))
# Stages 1 and 3 (official: Adam, lr 1e-4, constant; the cells set param_scheduler = []).
mst_optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                         optimizer=dict(type='Adam', lr=1e-4))

# NYU-Depth V2 (segmentation; the official dense case): the same three stages on DeepLabV3+
# segmentors. The masked feature is the (N, 128, H/4, W/4) map the decode head's 1x1
# classifier reads; MSTLoss(dense=True): spatial masks (official MaskNet_2d), the dense router
# (official GateNet_dense) on the student's logit map, the per-pixel KL averaged over the
# student's grid (official dense distillation_loss; no pixel, 255 included, is left out).
mst_seg_teacher_tensors = dict(
    logits=dict(path='decode_head.conv_seg'),
    head_input=dict(path='decode_head.conv_seg', source='input'),  # after dropout (eval: none)
    head_weight=dict(path='decode_head.conv_seg.weight', source='parameter'),  # (K, C, 1, 1)
    head_bias=dict(path='decode_head.conv_seg.bias', source='parameter'))
mst_seg_student_tensors = dict(logits=dict(path='decode_head.conv_seg'))
