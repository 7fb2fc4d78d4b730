# OFD (Heo et al., ICCV 2019): partial L2 between the connected student feature and the
# margin-clipped teacher feature at the pre-ReLU position (`feat_preact`); the per-channel margin
# comes from the teacher BN before it, read at every step (parameter recorders preact_bn_*).
# Experiment configs add the OFDConnector (1x1 conv + BN, student -> teacher channels) as
# connectors=dict(ofd=...). OFDLoss default: loss_weight 1e-3 (the official CIFAR-100 scale of
# the per-sample sum; dense maps sum over pixels too, so the NYU configs use 1e-5).
ofd_losses = dict(loss_ofd=dict(type='OFDLoss', loss_weight=1e-3))
ofd_mappings = dict(loss_ofd=dict(
    student_feat=dict(from_student=True, recorder='feat_preact', connector='ofd'),
    teacher_feat=dict(from_student=False, recorder='feat_preact'),
    bn_weight=dict(from_student=False, recorder='preact_bn_weight'),
    bn_bias=dict(from_student=False, recorder='preact_bn_bias')))
# A teacher whose feature no ReLU follows and no BN precedes (BERT's [CLS] vector, CrisisMMD
# text -> image) has no margin and no negative responses to spare: plain L2 on the connected
# feature (partial=False) is what is left of OFD there.
ofd_losses_plain = dict(loss_ofd=dict(type='OFDLoss', loss_weight=1e-3, partial=False))
ofd_mappings_plain = dict(loss_ofd=dict(
    student_feat=dict(from_student=True, recorder='feat_preact', connector='ofd'),
    teacher_feat=dict(from_student=False, recorder='feat_preact')))
