# CrisisMMD-V2 under MST-Distill's protocol (docs/data_preparation.md#mst-distills-protocol):
# the humanitarian task, 8 classes numbered as theirs (not_humanitarian = 0 ...), one sample
# per tweet of the crisismmd_datasplit_all humanitarian TSVs in their order (dev, test, train),
# split 60 / 20 / 20 by column group_<k> of their CMMD-V2_indices.csv (a path inside
# data_root). Pipelines as ./crisismmd_text_image.py (tweet text and image of the same post).
_base_ = ['./crisismmd_text_image.py']
index_file = 'CMMD-V2_indices.csv'
index_group = 0  # their experiment k: column group_<k>
_mst = dict(_delete_=True, type='fdkd_mm.MSTCrisisMMDDataset', data_root=_base_.data_root,
            index_file=index_file, group=index_group)
train_dataloader = dict(dataset=dict(_mst, split='train', pipeline=_base_.train_pipeline))
val_dataloader = dict(
    dataset=dict(_mst, split='val', test_mode=True, pipeline=_base_.test_pipeline))
test_dataloader = dict(
    dataset=dict(_mst, split='test', test_mode=True, pipeline=_base_.test_pipeline))
