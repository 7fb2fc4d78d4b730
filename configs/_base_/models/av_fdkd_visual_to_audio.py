# FD-CMKD wiring: frozen visual ResNet-18 teacher -> audio ResNet-18 student. Experiment configs
# set num_classes, teacher_ckpt and the method's hyper-parameters.
_base_ = ['./av_resnet18.py']
model = dict(
    type='FrequencyDecoupledDistiller',
    student=_base_.audio_classifier,
    teacher=_base_.visual_classifier,
    student_input='audio',  # keys of the packed inputs dict (PackAudioVisualInputs)
    teacher_input='visual',
    student_recorder=_base_.audio_feature,
    teacher_recorder=_base_.visual_feature,
    pool='avg',  # (N[*T], 512, h, w) -> (N, 512)
    in_channels=_base_.feature_channels,
    # None: each modality goes through its own model's preprocessor (MultiModalDataPreprocessor).
    # Explicit, because MMEngine's Runner would otherwise inject a top-level data_preprocessor.
    data_preprocessor=None)
