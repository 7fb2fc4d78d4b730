# The audio-visual encoders of the paper (Table 2): ResNet-18 from scratch on each modality.
# Definitions only: av_{audio,visual}_resnet18.py pick one as a unimodal model, and
# ../pairs/av_*_to_*.py pair them in a distiller. Experiment configs set the heads' num_classes.

# Audio: (1, 257, T) log-spectrograms; a 1-channel stem, no mean/std (used as the public code).
audio_classifier = dict(
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',  # unprefixed nested types below resolve in mmpretrain
    data_preprocessor=dict(type='ClsDataPreprocessor', to_rgb=False),
    backbone=dict(type='ResNet', depth=18, in_channels=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', in_channels=512, loss=dict(type='CrossEntropyLoss'),
              topk=(1, )))
# Visual: (3, T, H, W) RGB clips; the T frames are folded into the batch, run through one
# ResNet-18 and averaged over time and space (GlobalAveragePooling over dims T, h, w), as the
# public code pools its visual encoder. ImageNet mean/std on RGB frames.
visual_classifier = dict(
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=dict(type='fdkd_mm.VideoDataPreprocessor'),
    backbone=dict(type='fdkd_mm.FrameFoldingBackbone',
                  backbone=dict(type='mmpretrain.ResNet', depth=18)),
    neck=dict(type='GlobalAveragePooling', dim=3),
    head=dict(type='LinearClsHead', in_channels=512, loss=dict(type='CrossEntropyLoss'),
              topk=(1, )))

# The tensors distillation methods read from each network, by name (CrossModalDistiller
# recorder configs; a method maps the ones it needs, the others are not recorded).
# The visual network folds its T frames into the batch: 'avg' averages frames and space to
# (N, C), 'frames' averages only the frames and keeps the maps (N, C, h, w).
#   logits        classifier output (N, K)
#   feat          FD-CMKD's feature: the post-ReLU output of the last residual block (= the
#                 stage output), pooled to (N, 512). The authors' script names a `pre_out`
#                 taken before the block's final ReLU, but that ReLU is in place, so the
#                 tensor that produced the paper's Table 2 is the post-ReLU one.
#   feat_preact   the true pre-activation of the last block (the input of the second call of
#                 its ReLU, after the residual sum), pooled: the script's evident intent, an
#                 option (configs/fdkd_ablation/fdkd-preact_*); also OFD's pre-ReLU position.
#   preact_bn_*   the BN before that sum (OFD's per-channel margin), as parameters.
#   stage2..4     stage outputs as maps (AFD); C2KD's proxies read stage3 (256 channels).
#   head_weight,  the classifier's weight (K, 512) and bias (K,), as parameters: the published
#   head_bias     unpaired method's label alignment feeds the student's feature to the
#                 teacher's classifier (configs/_base_/distill/ucmkd.py).
audio_tensors = dict(
    logits=dict(path='head.fc'),
    feat=dict(path='backbone.layer4', pool='avg'),
    feat_preact=dict(path='backbone.layer4.1.relu', source='input', call_index=1, pool='avg'),
    preact_bn_weight=dict(path='backbone.layer4.1.bn2.weight', source='parameter'),
    preact_bn_bias=dict(path='backbone.layer4.1.bn2.bias', source='parameter'),
    stage2=dict(path='backbone.layer2'),
    stage3=dict(path='backbone.layer3'),
    stage4=dict(path='backbone.layer4'),
    head_weight=dict(path='head.fc.weight', source='parameter'),
    head_bias=dict(path='head.fc.bias', source='parameter'))
visual_tensors = dict(
    logits=dict(path='head.fc'),
    feat=dict(path='backbone.backbone.layer4', pool='avg'),
    feat_preact=dict(path='backbone.backbone.layer4.1.relu', source='input', call_index=1,
                     pool='avg'),
    preact_bn_weight=dict(path='backbone.backbone.layer4.1.bn2.weight', source='parameter'),
    preact_bn_bias=dict(path='backbone.backbone.layer4.1.bn2.bias', source='parameter'),
    stage2=dict(path='backbone.backbone.layer2', pool='frames'),
    stage3=dict(path='backbone.backbone.layer3', pool='frames'),
    stage4=dict(path='backbone.backbone.layer4', pool='frames'),
    head_weight=dict(path='head.fc.weight', source='parameter'),
    head_bias=dict(path='head.fc.bias', source='parameter'))
# Widths of those tensors (both networks are ResNet-18s).
audio_channels = visual_channels = dict(feat=512, stages=[128, 256, 512], proxy=256)
