# Mixing architectures by zoo path: the audio ResNet-18 teacher
# (configs/uni/uni_r18-audio_cremad.py) distilled into mmpretrain's MobileNetV3-Small on the
# video frames, from scratch like the paper's AV models (pretrained=False). The zoo config
# supplies the network and its head; the backbone is wrapped to fold the T frames into the
# batch, and the neck averages over time and space, as for the ResNet-18 visual student.
#
# Distilled features: the teacher's last-block output (512-d, as in
# configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py) and the student's last stage (the 1x1 conv
# 96 -> 576 + BN + Hardswish, backbone.backbone.layer12, 576-d), both average-pooled; the
# student's is projected to 512 by a ProjectionConnector (Linear + BN, trained with it).
_base_ = ['../fdkd/fdkd_r18-audio_r18-visual_cremad.py']

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
    # Only the distilled feature: the vocabulary's other paths are the ResNet's.
    student_recorders=dict(_delete_=True,
                           feat=dict(path='backbone.backbone.layer12', pool='avg')),
    connectors=dict(student_feat=dict(type='ProjectionConnector', in_channels=student_width,
                                      out_channels=_base_.feature_channels)))
