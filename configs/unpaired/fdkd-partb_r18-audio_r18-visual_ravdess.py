# Paired FD-CMKD on part B of RAVDESS (audio teacher trained on part A -> visual student): the upper
# bound that pairs allow in the unpaired protocol (docs/unpaired.md): the same teacher and student
# data as the unpaired methods, with the audio of each sample as well.
_base_ = ['../fdkd/fdkd_r18-audio_r18-visual_ravdess.py', '../_base_/unpaired/ravdess_split.py']
model = dict(teacher_ckpt='work_dirs/uni-parta_r18-audio_ravdess/epoch_100.pth')
train_dataloader = dict(dataset=dict(
    _delete_=True, type='fdkd_mm.DisjointPartDataset', part='B',
    dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root, ann_file='train.csv',
                 pipeline=_base_.train_pipeline),
    **_base_.part_split))
