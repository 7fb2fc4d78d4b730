# Paired FD-CMKD on part B of NYU-Depth V2 (RGB teacher trained on part A -> depth student): the
# upper bound that pairs allow in the unpaired protocol (docs/unpaired.md): the same teacher and
# student data as the unpaired methods, with the RGB of each sample as well.
_base_ = ['../fdkd/fdkd_dlv3p-r18-rgb_dlv3p-r18-depth_nyu.py', '../_base_/unpaired/nyu_split.py']
model = dict(teacher_ckpt='work_dirs/uni-parta_dlv3p-r18-rgb_nyu/epoch_50.pth')
train_dataloader = dict(dataset=dict(
    _delete_=True, type='fdkd_mm.DisjointPartDataset', part='B',
    dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root, split='train',
                 pipeline=_base_.train_pipeline),
    **_base_.part_split))
