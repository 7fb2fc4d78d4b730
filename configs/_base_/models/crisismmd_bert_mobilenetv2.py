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

# The tensors distillation methods read from each network, by name (CrossModalDistiller
# recorder configs; a method maps the ones it needs).
#   logits       classifier output (N, 2)
#   feat         FD-CMKD's feature: text, the [CLS] vector the head classifies (768-d; BERT has
#                no post-activation stage); image, the last stage (the 1x1 conv 320 -> 1280 +
#                BN + ReLU6, `backbone.conv2`) average-pooled (1280-d). The widths differ, so
#                the methods that compare features map the student's through a projection.
#   feat_preact  OFD's pre-ReLU position: image, the input of that ReLU6 (its BN: preact_bn_*);
#                text, the [CLS] vector itself (no activation follows it, and no BN precedes
#                it, so OFD with a text teacher uses plain L2: configs/_base_/distill/ofd.py)
#   stage2..4    maps for AFD / C2KD: image, layer5, layer6 and the last stage (14x14, 7x7,
#                7x7); text, the token states of encoder layers 10, 11, 12 laid out as
#                (N, 768, L, 1) maps (pool='tokens'); C2KD's proxies read stage3.
text_tensors = dict(
    logits=dict(path='head.fc'),
    feat=dict(path='backbone', source='output'),
    feat_preact=dict(path='backbone', source='output'),
    stage2=dict(path='backbone.encoder.encoder.layer.9', pool='tokens'),
    stage3=dict(path='backbone.encoder.encoder.layer.10', pool='tokens'),
    stage4=dict(path='backbone.encoder.encoder.layer.11', pool='tokens'))
image_tensors = dict(
    logits=dict(path='head.fc'),
    feat=dict(path='backbone.conv2', pool='avg'),
    feat_preact=dict(path='backbone.conv2.activate', source='input', pool='avg'),
    preact_bn_weight=dict(path='backbone.conv2.bn.weight', source='parameter'),
    preact_bn_bias=dict(path='backbone.conv2.bn.bias', source='parameter'),
    stage2=dict(path='backbone.layer5'),
    stage3=dict(path='backbone.layer6'),
    stage4=dict(path='backbone.conv2'))
text_channels = dict(feat=768, stages=[768, 768, 768], proxy=768)
image_channels = dict(feat=1280, stages=[96, 160, 1280], proxy=160)
