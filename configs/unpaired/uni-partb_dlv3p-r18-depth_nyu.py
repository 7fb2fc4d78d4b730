# Depth "Uni" model of NYU-Depth V2 trained on part B of the training frames (the student alone, the
# protocol's baseline row; docs/unpaired.md). The split: configs/_base_/unpaired/nyu_split.py; the
# test split is used whole.
_base_ = ['../uni/uni_dlv3p-r18-depth_nyu.py', '../_base_/unpaired/nyu_split.py']
train_dataloader = dict(dataset=dict(
    _delete_=True, type='fdkd_mm.DisjointPartDataset', part='B',
    dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root, split='train',
                 pipeline=_base_.train_pipeline),
    **_base_.part_split))
