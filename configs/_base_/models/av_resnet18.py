# The audio-visual encoders of the paper (Table 2): ResNet-18 from scratch on each modality.
# Definitions only: av_{audio,visual}_resnet18.py pick one as a unimodal model, and
# av_fdkd_*.py pair them in a distiller. Experiment configs set the heads' num_classes.

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

# The distilled feature (METHOD.md): the pre-activation output of the last residual block, i.e.
# the input of the second call of its ReLU (after bn1, then after the residual sum), 512
# channels. The distiller average-pools it (pool='avg'); folded frames are averaged too.
audio_feature = dict(path='backbone.layer4.1.relu', source='input', call_index=1)
visual_feature = dict(path='backbone.backbone.layer4.1.relu', source='input', call_index=1)
feature_channels = 512
