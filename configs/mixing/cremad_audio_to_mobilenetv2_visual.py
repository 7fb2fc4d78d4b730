# Mixing architectures on CREMA-D: the audio ResNet-18 teacher (configs/teachers/
# cremad_audio_unimodal.py) distilled into a visual MobileNetV2 student (mmpretrain, from
# scratch like the paper's AV models), frames folded into the batch as for the ResNet student.
#
# Distilled features: the teacher's pre-activation last-block output (512-d, as in
# configs/fdkd/cremad_audio_to_visual.py) and the student's last 1x1 conv before its ReLU6
# (the input of conv2.activate, 1280-d; the recorder copies it because ReLU6 works in place).
# Both are average-pooled; the student's is projected to 512 by a ProjectionConnector (Linear
# + BN, trained with the student), so the bands and shared heads live in the teacher's width.
_base_ = ['../fdkd/cremad_audio_to_visual.py']

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
    student_recorder=dict(_delete_=True, path='backbone.backbone.conv2.activate',
                          source='input'),
    student_connector=dict(type='ProjectionConnector', in_channels=student_width,
                           out_channels=_base_.feature_channels))
