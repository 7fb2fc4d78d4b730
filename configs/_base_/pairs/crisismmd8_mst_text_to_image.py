# CrisisMMD-V2 under MST-Distill's protocol (humanitarian task, 8 classes, their split):
# BERT-base text teacher (frozen) -> ImageNet-pretrained MobileNetV2 image student, on the
# student's schedule. Train the teacher first:
#   python tools/train.py configs/mst/uni_bert-text_crisismmd8.py
_base_ = [
    '../models/crisismmd_bert_mobilenetv2.py', '../datasets/crisismmd8_mst.py',
    '../schedules/crisismmd_image_20e.py', '../default_runtime.py'
]
num_classes = 8
student_channels = _base_.image_channels
teacher_channels = _base_.text_channels
feature_channels = 768  # the teacher's feature width; the student's 1280 are projected to it
model = dict(
    type='CrossModalDistiller',
    student=dict(_base_.image_classifier,
                 head=dict(_base_.image_classifier.head, num_classes=num_classes)),
    teacher=dict(_base_.text_classifier,
                 head=dict(_base_.text_classifier.head, num_classes=num_classes)),
    student_input='image',  # keys of the packed inputs dict (PackTextImageInputs)
    teacher_input='text',
    teacher_ckpt='work_dirs/uni_bert-text_crisismmd8/epoch_20.pth',  # its last epoch
    student_recorders=_base_.image_tensors,
    teacher_recorders=_base_.text_tensors,
    # The widths differ (1280 vs 768): methods that compare features map the student's
    # through this projection (built only when a method uses it).
    connectors=dict(student_feat=dict(type='ProjectionConnector', in_channels=1280,
                                      out_channels=768)),
    teacher_trainable=False,
    # None: each modality goes through its own model's preprocessor (MultiModalDataPreprocessor).
    # Explicit, because MMEngine's Runner would otherwise inject a top-level data_preprocessor.
    data_preprocessor=None)
