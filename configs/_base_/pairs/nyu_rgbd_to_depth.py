# NYU-Depth V2, "MM -> m": the early-fused RGB-D teacher (frozen; ../models/
# nyu_deeplabv3plus_r18_rgbd.py) -> depth student, DeepLabV3+ R18 on both, the 50-epoch schedule.
# The teacher reads the stacked 'rgbd' input, the student its own modality; both offer the
# segmentor tensor vocabulary of ../models/nyu_deeplabv3plus_r18.py (equal widths).
# Train the teacher first: python tools/train.py configs/mm/uni_dlv3p-r18-rgbd_nyu.py
_base_ = [
    '../models/nyu_deeplabv3plus_r18.py', '../datasets/nyu_rgbd_early.py',
    '../schedules/nyu_50e.py', '../default_runtime.py'
]
num_classes = 40
student_channels = teacher_channels = _base_.segmentor_channels
feature_channels = 128
rgbd_preprocessor = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53, 2.8],
    std=[58.395, 57.12, 57.375, 1.4], bgr_to_rgb=False, pad_val=0, seg_pad_val=255,
    size=(480, 640))
model = dict(
    _delete_=True,  # the base's `model` is the plain segmentor
    type='CrossModalDistiller',
    student=dict(_base_.model, data_preprocessor=_base_.depth_preprocessor),
    teacher=dict(_base_.model, data_preprocessor=rgbd_preprocessor,
                 backbone=dict(_base_.model.backbone, in_channels=4)),
    student_input='depth',
    teacher_input='rgbd',
    teacher_ckpt='work_dirs/uni_dlv3p-r18-rgbd_nyu/epoch_50.pth',
    student_recorders=_base_.segmentor_tensors,
    teacher_recorders=_base_.segmentor_tensors,
    connectors=dict(student_feat=dict(type='IdentityConnector')),  # equal widths
    teacher_trainable=False,
    data_preprocessor=None)
