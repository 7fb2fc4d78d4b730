# RKD (Park et al., CVPR 2019): smooth-L1 between the student's and the teacher's distance-wise
# (pairs) and angle-wise (triples) relations of the batch's L2-normalised features, on FD-CMKD's
# feature (pooled; maps averaged over space). The widths may differ: relations are N x N.
# RKDLoss defaults (lenscloth/RKD's classification script): distance weight 25, angle weight 50,
# normalize True.
rkd_losses = dict(loss_rkd=dict(type='RKDLoss', distance_weight=25.0, angle_weight=50.0,
                                normalize=True, loss_weight=1.0))
rkd_mappings = dict(loss_rkd=dict(
    student_feat=dict(from_student=True, recorder='feat'),
    teacher_feat=dict(from_student=False, recorder='feat')))
