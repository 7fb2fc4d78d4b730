# AV-MNIST, "MM -> m": the image-audio fusion teacher (frozen; ../models/avmnist_mm_resnet18.py)
# -> image student (1-channel ResNet-18). The teacher offers its fused feature and logits and the
# maps of its other branch. Train the teacher first:
# python tools/train.py configs/mm/uni_fusion-r18-ia_avmnist.py
_base_ = [
    '../models/avmnist_mm_resnet18.py', '../datasets/avmnist.py', '../schedules/av_100e.py',
    '../default_runtime.py'
]
num_classes = 10
student_channels = _base_.audio_channels
teacher_channels = _base_.fusion_teacher_channels
feature_channels = _base_.fusion_channels
model = dict(
    type='CrossModalDistiller',
    student=dict(_base_.audio_classifier,
                 head=dict(_base_.audio_classifier.head, num_classes=num_classes)),
    teacher=_base_.avmnist_fusion_classifier,
    student_input='image',
    teacher_input=['image', 'audio'],
    student_recorders=_base_.audio_tensors,
    teacher_recorders=dict(**_base_.fusion_tensors, **_base_.audio_branch_tensors),
    connectors=dict(student_feat=dict(type='ProjectionConnector',
                                      in_channels=student_channels.feat,
                                      out_channels=feature_channels)),
    teacher_trainable=False,
    teacher_ckpt='work_dirs/uni_fusion-r18-ia_avmnist/epoch_100.pth',  # its last epoch
    data_preprocessor=None)
