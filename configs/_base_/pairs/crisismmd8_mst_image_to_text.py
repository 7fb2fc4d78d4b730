# CrisisMMD-V2 under MST-Distill's protocol (humanitarian task, 8 classes, their split):
# ImageNet-pretrained MobileNetV2 image teacher (frozen) -> BERT-base text student, on the
# student's schedule. Train the teacher first:
#   python tools/train.py configs/mst/uni_mbv2-image_crisismmd8.py
_base_ = [
    '../models/crisismmd_bert_mobilenetv2.py', '../datasets/crisismmd8_mst.py',
    '../schedules/crisismmd_text_20e.py', '../default_runtime.py'
]
num_classes = 8
student_channels = _base_.text_channels
teacher_channels = _base_.image_channels
feature_channels = 1280  # the teacher's feature width; the student's 768 are projected to it
model = dict(
    type='CrossModalDistiller',
    student=dict(_base_.text_classifier,
                 head=dict(_base_.text_classifier.head, num_classes=num_classes)),
    teacher=dict(_base_.image_classifier,
                 head=dict(_base_.image_classifier.head, num_classes=num_classes)),
    student_input='text',  # keys of the packed inputs dict (PackTextImageInputs)
    teacher_input='image',
    teacher_ckpt='work_dirs/uni_mbv2-image_crisismmd8/epoch_20.pth',  # its last epoch
    student_recorders=_base_.text_tensors,
    teacher_recorders=_base_.image_tensors,
    # The widths differ (768 vs 1280): methods that compare features map the student's
    # through this projection (built only when a method uses it).
    connectors=dict(student_feat=dict(type='ProjectionConnector', in_channels=768,
                                      out_channels=1280)),
    teacher_trainable=False,
    # None: each modality goes through its own model's preprocessor (MultiModalDataPreprocessor).
    # Explicit, because MMEngine's Runner would otherwise inject a top-level data_preprocessor.
    data_preprocessor=None)
