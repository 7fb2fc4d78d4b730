# The CrisisMMD encoders of the paper (Table 2): BERT-base for the tweet text, ImageNet-pretrained
# MobileNetV2 for the tweet image. Definitions only: crisismmd_{text,image}_*.py pick one as a
# unimodal model, crisismmd_fdkd_*.py pair them in a distiller. Experiment configs set the
# heads' num_classes.

# Local BERT-base-uncased directory written by save_pretrained (also the tokenizer's directory,
# see configs/_base_/datasets/crisismmd_text_image.py); never downloaded at run time.
bert_dir = 'data/pretrained/bert-base-uncased'
text_classifier = dict(
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',  # unprefixed nested types below resolve in mmpretrain
    data_preprocessor=dict(type='fdkd_mm.TextDataPreprocessor'),  # keeps token ids int64
    # pooling='cls': the last hidden state of [CLS], (N, 768); the weights come from bert_dir.
    backbone=dict(type='fdkd_mm.HFTextEncoder', pretrained=bert_dir, pooling='cls'),
    neck=None,
    head=dict(type='LinearClsHead', in_channels=768, loss=dict(type='CrossEntropyLoss'),
              topk=(1, )))
# MobileNetV2 1.0x with mmpretrain's ImageNet weights (downloaded once into the torch hub cache
# by MMEngine at init, or point `checkpoint` at a local copy).
mobilenet_v2_imagenet = ('https://download.openmmlab.com/mmclassification/v0/mobilenet_v2/'
                         'mobilenet_v2_batch256_imagenet_20200708-3b2dc3af.pth')
image_classifier = dict(
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',
    # ImageNet mean/std; LoadImageFromFile gives BGR, so convert to RGB as the weights expect.
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], to_rgb=True),
    backbone=dict(type='MobileNetV2', widen_factor=1.0,
                  init_cfg=dict(type='Pretrained', checkpoint=mobilenet_v2_imagenet,
                                prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', in_channels=1280, loss=dict(type='CrossEntropyLoss'),
              topk=(1, )))

# The distilled features (METHOD.md: the pre-activation output of the last stage, pooled).
# BERT has no post-activation stage: its feature is the encoder output itself, the [CLS] vector
# the head classifies (768-d). MobileNetV2's last stage is the 1x1 conv 320 -> 1280 + BN + ReLU6
# (`backbone.conv2`); its pre-activation is the input of that ReLU6 (1280 channels, 7 x 7),
# average-pooled by the distiller. The recorder clones it, since the ReLU6 works in place.
text_feature = dict(path='backbone', source='output')
image_feature = dict(path='backbone.conv2.activate', source='input')
text_channels = 768
image_channels = 1280
