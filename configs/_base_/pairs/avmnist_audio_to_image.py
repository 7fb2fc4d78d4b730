# AV-MNIST: audio teacher (frozen) -> image student. Both networks are the 1-channel ResNet-18 of
# ../models/av_resnet18.py (its audio network), with its tensor vocabulary; the AV schedule.
# Train the teacher first: python tools/train.py configs/uni/uni_r18-audio_avmnist.py
_base_ = [
    '../models/av_resnet18.py', '../datasets/avmnist.py', '../schedules/av_100e.py',
    '../default_runtime.py'
]
num_classes = 10
student_channels = teacher_channels = _base_.audio_channels
feature_channels = 512
model = dict(
    type='CrossModalDistiller',
    student=dict(_base_.audio_classifier,
                 head=dict(_base_.audio_classifier.head, num_classes=num_classes)),
    teacher=dict(_base_.audio_classifier,
                 head=dict(_base_.audio_classifier.head, num_classes=num_classes)),
    student_input='image',
    teacher_input='audio',
    student_recorders=_base_.audio_tensors,
    teacher_recorders=_base_.audio_tensors,
    connectors=dict(student_feat=dict(type='IdentityConnector')),
    teacher_trainable=False,
    teacher_ckpt='work_dirs/uni_r18-audio_avmnist/epoch_100.pth',  # its last epoch
    data_preprocessor=None)
