# FD-CMKD wiring: frozen MobileNetV2 image teacher -> BERT text student. The widths differ
# (1280 vs 768): a projection maps the student feature to the teacher's width, so the bands,
# losses and shared heads work at D = 1280. Experiment configs set num_classes, teacher_ckpt
# and the method's hyper-parameters.
_base_ = ['./crisismmd_bert_mobilenetv2.py']
model = dict(
    type='FrequencyDecoupledDistiller',
    student=_base_.text_classifier,
    teacher=_base_.image_classifier,
    student_input='text',  # keys of the packed inputs dict (PackTextImageInputs)
    teacher_input='image',
    student_recorder=_base_.text_feature,
    teacher_recorder=_base_.image_feature,
    pool='avg',  # image: (N, 1280, 7, 7) -> (N, 1280); text: already (N, 768)
    student_connector=dict(type='ProjectionConnector', in_channels=_base_.text_channels,
                           out_channels=_base_.image_channels),
    in_channels=_base_.image_channels,  # D: the teacher's width
    # None: each modality goes through its own model's preprocessor (MultiModalDataPreprocessor).
    # Explicit, because MMEngine's Runner would otherwise inject a top-level data_preprocessor.
    data_preprocessor=None)
