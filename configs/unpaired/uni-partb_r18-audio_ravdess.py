# Audio "Uni" model of RAVDESS trained on part B of the training clips (the student alone, the
# protocol's baseline row; docs/unpaired.md). The split: configs/_base_/unpaired/ravdess_split.py;
# the test split is used whole.
_base_ = ['../uni/uni_r18-audio_ravdess.py', '../_base_/unpaired/ravdess_split.py']
train_dataloader = dict(dataset=dict(
    _delete_=True, type='fdkd_mm.DisjointPartDataset', part='B',
    dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root, ann_file='train.csv',
                 pipeline=_base_.train_pipeline),
    **_base_.part_split))
