# Mixing architectures on CREMA-D: the audio ResNet-18 teacher (configs/uni/
# uni_r18-audio_cremad.py) distilled into a visual MobileNetV2 student (mmpretrain, from
# scratch like the paper's AV models), frames folded into the batch as for the ResNet student.
#
# Distilled features: the teacher's last-block output (512-d, as in
# configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py) and the student's last stage (the 1x1 conv
# 320 -> 1280 + BN + ReLU6, backbone.conv2, 1280-d). Both are average-pooled; the student's is
# projected to 512 by a ProjectionConnector (Linear + BN, trained with the student), so the
# bands and shared heads live in the teacher's width.
_base_ = ['../fdkd/fdkd_r18-audio_r18-visual_cremad.py']
student_width = 1280
model = dict(
    student=dict(
        _delete_=True,
        type='mmpretrain.ImageClassifier',
        _scope_='mmpretrain',  # unprefixed nested types resolve in mmpretrain
        data_preprocessor=dict(type='fdkd_mm.VideoDataPreprocessor'),
        backbone=dict(type='fdkd_mm.FrameFoldingBackbone',
                      backbone=dict(type='mmpretrain.MobileNetV2', widen_factor=1.0)),
        neck=dict(type='GlobalAveragePooling', dim=3),
        head=dict(type='LinearClsHead', num_classes=_base_.num_classes,
                  in_channels=student_width, loss=dict(type='CrossEntropyLoss'), topk=(1, ))),
    # Only the distilled feature: the vocabulary's other paths are the ResNet's.
    student_recorders=dict(_delete_=True,
                           feat=dict(path='backbone.backbone.conv2', pool='avg')),
    connectors=dict(student_feat=dict(type='ProjectionConnector', in_channels=student_width,
                                      out_channels=_base_.feature_channels)))
