# CrossModalDistiller skeleton for the NYU-Depth V2 baselines (Table 3): DeepLabV3+ R18 student
# and teacher, both segmentors as in the FD-CMKD configs. Method configs
# (configs/baselines/<method>/nyu_*.py) set the direction (inputs, preprocessors, teacher_ckpt),
# pick their recorders from the tensors below, and add losses, mappings and connectors.
_base_ = ['./nyu_deeplabv3plus_r18.py']

num_classes = 40
# Widths of the distilled tensors; method configs write channel arguments with these names.
feature_channels = 128  # decode head's last feature map (FD-CMKD's feature)
stage_channels = [128, 256, 512]  # backbone.layer2 / layer3 / layer4 of ResNet-18
# The tensors the baselines distil, by name: CrossModalDistiller recorder configs. Student and
# teacher are the same architecture, so both use the same paths.
tensors = dict(
    # Classifier output (N, 40, H/4, W/4); dense logit losses treat each pixel as a sample.
    logits=dict(path='decode_head.conv_seg'),
    # Decode head's last feature (N, 128, H/4, W/4), after its ReLU, before dropout/classifier.
    feat=dict(path='decode_head.sep_bottleneck'),
    # The same feature before that ReLU: the input of the in-place activation (cloned by the
    # recorder). OFD's distillation position; its teacher BN is `preact_bn`.
    preact=dict(path='decode_head.sep_bottleneck.1.pointwise_conv.activate', source='input'),
    # Backbone stage outputs (AFD): 1/8 resolution (dilated stages 3 and 4).
    stage2=dict(path='backbone.layer2'),
    stage3=dict(path='backbone.layer3'),
    stage4=dict(path='backbone.layer4'))
student_tensors = tensors
teacher_tensors = tensors
# Teacher BN producing the pre-ReLU feature: OFD's per-channel margin.
teacher_preact_bn = 'decode_head.sep_bottleneck.1.pointwise_conv.bn'

segmentor = _base_.model
model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student=segmentor,
    teacher=segmentor,
    teacher_trainable=False,  # DML: True
    # None: each modality goes through its own model's preprocessor (MultiModalDataPreprocessor).
    # Explicit, because MMEngine's Runner would otherwise inject the top-level
    # `data_preprocessor` of mmseg's base config (an RGB-only SegDataPreProcessor).
    data_preprocessor=None)
