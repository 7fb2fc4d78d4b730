# NYU-Depth V2 under MST-Distill's protocol (41 labels, their split): depth teacher (frozen) ->
# rgb student, DeepLabV3+ R18 on both. Train the teacher first:
#   python tools/train.py configs/mst/uni_dlv3p-r18-depth_nyu41.py
_base_ = [
    '../models/nyu_deeplabv3plus_r18_mst41.py', '../datasets/nyu_rgbd_mst.py',
    '../schedules/nyu_50e.py', '../default_runtime.py'
]
student_channels = teacher_channels = _base_.segmentor_channels
feature_channels = 128
model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student=dict(_base_.model, data_preprocessor=_base_.rgb_preprocessor),
    teacher=dict(_base_.model, data_preprocessor=_base_.depth_preprocessor),
    student_input='rgb',
    teacher_input='depth',
    teacher_ckpt='work_dirs/uni_dlv3p-r18-depth_nyu41/epoch_50.pth',
    student_recorders=_base_.segmentor_tensors,
    teacher_recorders=_base_.segmentor_tensors,
    connectors=dict(student_feat=dict(type='IdentityConnector')),
    teacher_trainable=False,
    data_preprocessor=None)
