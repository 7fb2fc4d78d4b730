# MST-Distill's AV-MNIST networks (fdkd_mm/models/backbones/small_cnns.py). Definitions only.
#   image: LeNet-5 (its 84-wide layer is the backbone's output; the head is its last layer)
#   audio: the three-layer CNN (32, 64, 128 channels), flattened (128 x 14 x 14) into the head
#   fusion ("CNN-I", the multimodal teacher): LeNet-5 to 84 on the image, a five-layer CNN
#   (32 ... 512 channels) average-pooled to 512 on the spectrogram, concatenated (596), then two
#   linear layers without activation between them (596 -> 298 -> 10), as theirs.
num_classes = 10
_ce = dict(type='CrossEntropyLoss')
image_channels, audio_channels = 84, 128 * 14 * 14
lenet5_classifier = dict(
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=dict(type='ClsDataPreprocessor', to_rgb=False),
    backbone=dict(type='fdkd_mm.LeNet5'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', in_channels=image_channels, num_classes=num_classes,
              loss=_ce, topk=(1, )))
cnn3_classifier = dict(
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=dict(type='ClsDataPreprocessor', to_rgb=False),
    backbone=dict(type='fdkd_mm.PlainCNN', channels=(32, 64, 128)),
    neck=dict(type='fdkd_mm.FlattenNeck'),
    head=dict(type='LinearClsHead', in_channels=audio_channels, num_classes=num_classes,
              loss=_ce, topk=(1, )))
fusion_channels = image_channels + 512
fusion_cnn_classifier = dict(
    type='fdkd_mm.FusionClassifier',
    data_preprocessor=dict(
        type='fdkd_mm.MultiModalDataPreprocessor',
        preprocessors=dict(image=dict(type='mmpretrain.ClsDataPreprocessor', to_rgb=False),
                           audio=dict(type='mmpretrain.ClsDataPreprocessor', to_rgb=False)),
        label_modality='image'),
    backbones=dict(image=dict(type='fdkd_mm.LeNet5'),
                   audio=dict(type='fdkd_mm.PlainCNN', channels=(32, 64, 128, 256, 512),
                              no_pool_last=True)),
    necks=dict(image=dict(type='mmpretrain.GlobalAveragePooling'),
               audio=dict(type='mmpretrain.GlobalAveragePooling')),
    fusion=dict(type='fdkd_mm.FeatureFusion', mode='concat', in_channels=[image_channels, 512]),
    head=dict(type='mmpretrain.StackedLinearClsHead', in_channels=fusion_channels,
              mid_channels=[298], act_cfg=None, num_classes=num_classes, loss=_ce, topk=(1, )))
# The tensors the distillers read: logits, and the feature the head sees.
single_tensors = dict(logits=dict(path='head.fc'), feat=dict(path='neck'))
fusion_tensors = dict(logits=dict(path='head.layers.1'), feat=dict(path='fusion'))
