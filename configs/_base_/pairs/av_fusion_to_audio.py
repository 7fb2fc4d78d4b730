# Skeleton of the multimodal -> audio pairs ("MM -> m": CREMA-D, AVE): a frozen audio-visual
# fusion teacher (../models/av_mm_resnet18.py) that reads both modalities, an audio ResNet-18
# student. The teacher offers its fused feature and logits, and the maps of its visual branch
# (the modality the student lacks). The dataset pairs (./<dataset>_fusion_to_audio.py) add the
# data, the classes and the teacher checkpoint; method configs add losses and mappings.
_base_ = ['../models/av_mm_resnet18.py']
student_channels = _base_.audio_channels
teacher_channels = _base_.fusion_teacher_channels
feature_channels = _base_.fusion_channels  # FD-CMKD / Feat / PKD compare at the fused width
model = dict(
    type='CrossModalDistiller',
    student=_base_.audio_classifier,
    teacher=_base_.av_fusion_classifier,
    student_input='audio',
    teacher_input=['audio', 'visual'],  # the fusion network gets the dict of both
    student_recorders=_base_.audio_tensors,
    teacher_recorders=dict(**_base_.fusion_tensors, **_base_.visual_branch_tensors),
    # The student's 512 channels projected to the fused 1024 (Linear + BN, trained with it).
    connectors=dict(student_feat=dict(type='ProjectionConnector',
                                      in_channels=student_channels.feat,
                                      out_channels=feature_channels)),
    teacher_trainable=False,
    data_preprocessor=None)
