# Mixing architectures by zoo path: the audio ResNet-18 teacher
# (configs/teachers/cremad_audio_unimodal.py) distilled into mmpretrain's MobileNetV3-Small on
# the video frames, from scratch like the paper's AV models (pretrained=False). The zoo
# config supplies the network and its head; the backbone is wrapped to fold the T frames into
# the batch, and the neck averages over time and space, as for the ResNet-18 visual student.
#
# Distilled features: the teacher's pre-activation last-block output (512-d, as in
# configs/fdkd/cremad_audio_to_visual.py) and the student's last 1x1 conv before its
# Hardswish (the input of layer12.activate, 576-d), both average-pooled; the student's is
# projected to 512 by a ProjectionConnector (Linear + BN, trained with the student).
_base_ = ['../fdkd/cremad_audio_to_visual.py']

student_width = 576
model = dict(
    student=dict(
        _delete_=True,
        cfg_path='mmpretrain::mobilenet_v3/mobilenet-v3-small_8xb128_in1k.py',
        pretrained=False,
        num_classes=_base_.num_classes,
        data_preprocessor=dict(type='fdkd_mm.VideoDataPreprocessor'),
        backbone=dict(_delete_=True, type='fdkd_mm.FrameFoldingBackbone',
                      backbone=dict(type='mmpretrain.MobileNetV3', arch='small')),
        neck=dict(dim=3),
        head=dict(topk=(1, ))),
    student_recorder=dict(_delete_=True, path='backbone.backbone.layer12.activate',
                          source='input'),
    student_connector=dict(type='ProjectionConnector', in_channels=student_width,
                           out_channels=_base_.feature_channels))
