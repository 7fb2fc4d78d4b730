# CrossModalDistiller skeleton for the audio-visual baselines (Table 2): audio ResNet-18
# teacher (frozen unless the method trains it) -> visual ResNet-18 student, the FD-CMKD pair
# of av_resnet18.py. Method configs (configs/baselines/<method>/*_audio_to_visual.py) set
# num_classes and teacher_ckpt, pick their recorders from student_tensors / teacher_tensors
# below, and add their losses, mappings and connectors.
_base_ = ['./av_resnet18.py']

# Widths of the distilled tensors (feature_channels = 512 comes from av_resnet18.py); method
# configs write channel arguments with these names.
stage_channels = [128, 256, 512]  # layer2 / layer3 / layer4 of ResNet-18
# The tensors the baselines distil, by name: CrossModalDistiller recorder configs. The visual
# network folds its T frames into the batch; 'avg' averages frames and space to (N, C),
# 'frames' averages only the frames and keeps the maps (N, C, h, w).
student_tensors = dict(
    logits=dict(path='head.fc'),  # (N, K)
    # Pre-activation of the last block (FD-CMKD's feature), pooled to (N, 512): audio maps and
    # frame maps do not align spatially, so Feat / PKD / OFD compare vectors.
    feat=dict(path='backbone.backbone.layer4.1.relu', source='input', call_index=1, pool='avg'),
    # OFD's pre-ReLU position: the same tensor (it already is the pre-activation).
    preact=dict(path='backbone.backbone.layer4.1.relu', source='input', call_index=1, pool='avg'),
    # Stage outputs as maps (AFD; C2KD's proxies average stage4 themselves).
    stage2=dict(path='backbone.backbone.layer2', pool='frames'),
    stage3=dict(path='backbone.backbone.layer3', pool='frames'),
    stage4=dict(path='backbone.backbone.layer4', pool='frames'))
teacher_tensors = dict(
    logits=dict(path='head.fc'),
    feat=dict(path='backbone.layer4.1.relu', source='input', call_index=1, pool='avg'),
    preact=dict(path='backbone.layer4.1.relu', source='input', call_index=1, pool='avg'),
    stage2=dict(path='backbone.layer2'),
    stage3=dict(path='backbone.layer3'),
    stage4=dict(path='backbone.layer4'))
# Teacher BN before the pre-activation sum of the last block: OFD's per-channel margin.
teacher_preact_bn = 'backbone.layer4.1.bn2'

model = dict(
    type='CrossModalDistiller',
    student=_base_.visual_classifier,
    teacher=_base_.audio_classifier,
    student_input='visual',  # keys of the packed inputs dict (PackAudioVisualInputs)
    teacher_input='audio',
    teacher_trainable=False,  # DML, C2KD: True
    # None: each modality goes through its own model's preprocessor (MultiModalDataPreprocessor).
    # Explicit, because MMEngine's Runner would otherwise inject a top-level data_preprocessor.
    data_preprocessor=None)
