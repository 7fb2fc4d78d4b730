# RGB "Uni" model of NYU-Depth V2 trained on part A of the training frames (the teacher of the
# unpaired protocol; docs/unpaired.md). The split: configs/_base_/unpaired/nyu_split.py; the test
# split is used whole.
_base_ = ['../uni/uni_dlv3p-r18-rgb_nyu.py', '../_base_/unpaired/nyu_split.py']
# RGB only: the depth loader (index 1) is dropped, so no depth file is read.
train_dataloader = dict(dataset=dict(
    _delete_=True, type='fdkd_mm.DisjointPartDataset', part='A',
    dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root, split='train',
                 pipeline=_base_.train_pipeline[:1] + _base_.train_pipeline[2:]),
    **_base_.part_split))
