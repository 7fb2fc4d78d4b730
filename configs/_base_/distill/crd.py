# CRD (Tian et al., ICLR 2020): linear + L2 embedding heads on both networks' FD-CMKD feature
# (pooled; maps averaged over space), NCE of each sample against K negatives drawn from a
# memory bank holding every training sample's embeddings (momentum updates, saved in
# checkpoints). The bank rows are the samples' dataset indices (metainfo 'sample_idx'); the bank
# is sized from the training set by ContrastMemoryHook. Cells set the two feature widths.
# CRDLoss defaults (RepDistiller): embed_dim 128, num_negatives 16384, temperature 0.07,
# momentum 0.5, loss_weight 0.8.
crd_losses = dict(loss_crd=dict(type='CRDLoss', embed_dim=128, num_negatives=16384,
                                temperature=0.07, momentum=0.5, loss_weight=0.8))
crd_mappings = dict(loss_crd=dict(
    student_feat=dict(from_student=True, recorder='feat'),
    teacher_feat=dict(from_student=False, recorder='feat'),
    sample_idx=dict(metainfo='sample_idx')))
crd_hooks = [dict(type='fdkd_mm.ContrastMemoryHook')]
