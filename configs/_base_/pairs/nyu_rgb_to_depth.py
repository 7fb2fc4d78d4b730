# NYU-Depth V2: RGB teacher (frozen) -> depth student, DeepLabV3+ with ResNet-18 on both, the
# paper's 50-epoch schedule. Train the teacher first:
#   python tools/train.py configs/uni/uni_dlv3p-r18-rgb_nyu.py
_base_ = [
    '../models/nyu_deeplabv3plus_r18.py', '../datasets/nyu_rgbd.py',
    '../schedules/nyu_50e.py', '../default_runtime.py'
]
num_classes = 40
student_channels = teacher_channels = _base_.segmentor_channels
feature_channels = 128  # the decode feature's width, the same on both networks
model = dict(
    _delete_=True,  # the base's `model` is the plain segmentor
    type='CrossModalDistiller',
    student=dict(_base_.model, data_preprocessor=_base_.depth_preprocessor),
    teacher=dict(_base_.model, data_preprocessor=_base_.rgb_preprocessor),
    student_input='depth',
    teacher_input='rgb',
    teacher_ckpt='work_dirs/uni_dlv3p-r18-rgb_nyu/epoch_50.pth',
    student_recorders=_base_.segmentor_tensors,
    teacher_recorders=_base_.segmentor_tensors,
    connectors=dict(student_feat=dict(type='IdentityConnector')),  # equal widths
    teacher_trainable=False,
    # None: each modality goes through its own model's preprocessor (MultiModalDataPreprocessor).
    # Explicit, because MMEngine's Runner would otherwise inject the top-level
    # `data_preprocessor` of mmseg's base config (an RGB-only SegDataPreProcessor).
    data_preprocessor=None)
