# Skeleton of the visual -> audio pairs (CREMA-D, AVE, VGGSound): a frozen visual ResNet-18
# teacher, an audio ResNet-18 student, each network's tensor vocabulary (../models/
# av_resnet18.py). The dataset pairs (./<dataset>_visual_to_audio.py) add the data, the classes
# and the teacher checkpoint; method configs add their losses and mappings.
_base_ = ['../models/av_resnet18.py']
student_channels = _base_.audio_channels
teacher_channels = _base_.visual_channels
feature_channels = 512  # the width FD-CMKD / Feat / PKD compare at (the teacher's feature)
model = dict(
    type='CrossModalDistiller',
    student=_base_.audio_classifier,
    teacher=_base_.visual_classifier,
    student_input='audio',  # keys of the packed inputs dict (PackAudioVisualInputs)
    teacher_input='visual',
    student_recorders=_base_.audio_tensors,
    teacher_recorders=_base_.visual_tensors,
    # Equal widths: the student's feature reaches the teacher's as it is.
    connectors=dict(student_feat=dict(type='IdentityConnector')),
    teacher_trainable=False,
    # None: each modality goes through its own model's preprocessor (MultiModalDataPreprocessor).
    # Explicit, because MMEngine's Runner would otherwise inject a top-level data_preprocessor.
    data_preprocessor=None)
