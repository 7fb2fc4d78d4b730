# NYU-Depth V2 without pairs (docs/unpaired.md): an RGB student trained on part B of the
# training frames, RGB only, by a teacher-free CrossModalDistiller; the depth teacher, trained
# on part A (configs/unpaired/uni-parta_dlv3p-r18-depth_nyu.py), is run once over part A's depth
# by BuildTeacherBankHook before training and summarised in its loss's teacher bank.
# Method configs (../distill/ufd.py, ukd.py) add their loss and mappings.
_base_ = [
    '../models/nyu_deeplabv3plus_r18.py', '../datasets/nyu_rgbd.py',
    '../schedules/nyu_50e.py', '../default_runtime.py', './nyu_split.py'
]
num_classes = 40
student_channels = teacher_channels = _base_.segmentor_channels
feature_channels = 128  # the decode feature's width (bank statistics are per pixel)
model = dict(
    _delete_=True,  # the base's `model` is the plain segmentor
    type='CrossModalDistiller',
    student=dict(_base_.model, data_preprocessor=_base_.rgb_preprocessor),
    teacher=None,  # teacher-free: the teacher's knowledge is the loss's bank
    student_input='rgb',
    teacher_input=None,
    teacher_recorders=None,
    student_recorders=_base_.segmentor_tensors,
    connectors=dict(student_feat=dict(type='IdentityConnector')),
    data_preprocessor=None)

# The student side reads RGB only (the depth loader, index 1, is dropped), packed as a dict.
_rgb = dict(type='fdkd_mm.PackMultiModalSegInputs', modalities=dict(rgb='img'),
            depth_channels=3)
train_pipeline = _base_.train_pipeline[:1] + _base_.train_pipeline[2:-1] + [_rgb]
test_pipeline = _base_.test_pipeline[:1] + _base_.test_pipeline[2:-1] + [_rgb]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='fdkd_mm.DisjointPartDataset', part='B',
    dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root, split='train',
                 pipeline=train_pipeline),
    **_base_.part_split))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# The teacher bank: the part-A depth teacher over part A's depth, test pipeline (no random
# augmentation), plain inputs as its own preprocessor takes them. The image file is decoded for
# the frame's shape, never packed.
teacher_bank = dict(
    teacher=dict(_base_.model, data_preprocessor=_base_.depth_preprocessor),
    teacher_input='depth',
    teacher_ckpt='work_dirs/uni-parta_dlv3p-r18-depth_nyu/epoch_50.pth',
    recorders=_base_.segmentor_tensors,  # feat and logits are read
    keep_samples='auto',  # dense maps: statistics only
    require_disjoint=True)  # refuse teacher data that shares frames with the student's
teacher_dataloader = dict(
    batch_size=4, num_workers=4, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='fdkd_mm.DisjointPartDataset', part='A',
        dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root, split='train',
                     pipeline=_base_.test_pipeline[:-1] + [dict(
                         type='fdkd_mm.PackMultiModalSegInputs', modalities=dict(depth='depth'),
                         depth_channels=3, plain_inputs=True)]),
        **_base_.part_split))
custom_hooks = _base_.custom_hooks + [dict(type='fdkd_mm.BuildTeacherBankHook')]
