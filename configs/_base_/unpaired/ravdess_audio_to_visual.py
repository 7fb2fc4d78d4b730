# RAVDESS without pairs (docs/unpaired.md): a visual student trained on part B of the training
# clips (actors disjoint from part A's), visual only, by a teacher-free CrossModalDistiller; the
# audio teacher, trained on part A (configs/unpaired/uni-parta_r18-audio_ravdess.py), is run once
# over part A's audio by BuildTeacherBankHook before training and summarised in its loss's
# teacher bank (class statistics, every clip's pooled feature, its classifier). Method configs
# (../distill/ufd.py, ukd.py, ucmkd.py) add their loss and mappings.
_base_ = [
    '../models/av_resnet18.py', '../datasets/ravdess_av.py', '../schedules/av_100e.py',
    '../default_runtime.py', './ravdess_split.py'
]
num_classes = 8
student_channels = _base_.visual_channels
teacher_channels = _base_.audio_channels
feature_channels = 512  # the pooled last-stage feature of both ResNet-18s
model = dict(
    type='CrossModalDistiller',
    student=dict(_base_.visual_classifier,
                 head=dict(_base_.visual_classifier.head, num_classes=num_classes)),
    teacher=None,  # teacher-free: the teacher's knowledge is the loss's bank
    student_input='visual',
    teacher_input=None,
    teacher_recorders=None,
    student_recorders=_base_.visual_tensors,
    connectors=dict(student_feat=dict(type='IdentityConnector')),
    data_preprocessor=None)

# The student side reads its own modality only, packed as a dict.
_pack = dict(type='fdkd_mm.PackAudioVisualInputs', keys=('visual', ))
train_pipeline = _base_.visual_train_pipeline + [_pack]
test_pipeline = _base_.visual_test_pipeline + [_pack]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='fdkd_mm.DisjointPartDataset', part='B',
    dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root, ann_file='train.csv',
                 pipeline=train_pipeline),
    **_base_.part_split))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# As on the protocol's other datasets, keep the last epoch and report it (RAVDESS's own
# validation actors, 05-08, are validated on every epoch).
default_hooks = dict(checkpoint=dict(save_best=None))

# The teacher bank: the part-A audio teacher over part A's audio, test pipeline, plain inputs as
# its own preprocessor takes them; every clip's pooled feature is kept (960 x 512 on the full
# training set) for the shared heads' and FA's replay, and its classifier for LA.
teacher_bank = dict(
    teacher=dict(_base_.audio_classifier,
                 head=dict(_base_.audio_classifier.head, num_classes=num_classes)),
    teacher_input='audio',
    teacher_ckpt='work_dirs/uni-parta_r18-audio_ravdess/epoch_100.pth',
    recorders=_base_.audio_tensors,  # feat and logits are read (logits: its classifier)
    keep_samples='auto',
    require_disjoint=True)  # refuse teacher data that shares clips with the student's
teacher_dataloader = dict(
    batch_size=64, num_workers=8, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='fdkd_mm.DisjointPartDataset', part='A',
        dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root, ann_file='train.csv',
                     pipeline=_base_.audio_pipeline + [dict(
                         type='fdkd_mm.PackAudioVisualInputs', keys=('audio', ),
                         plain_inputs=True)]),
        **_base_.part_split))
custom_hooks = _base_.custom_hooks + [dict(type='fdkd_mm.BuildTeacherBankHook')]
