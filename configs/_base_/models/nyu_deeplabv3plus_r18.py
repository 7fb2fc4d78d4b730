# DeepLabV3+ with an ImageNet-pretrained ResNet-18 (v1c) for NYU-Depth V2 (40 classes), on RGB.
# Depth models reuse it with their own data_preprocessor (depth replicated to 3 channels, so the
# pretrained stem applies unchanged).
_base_ = ['mmseg::_base_/models/deeplabv3plus_r50-d8.py']

# Plain BN in the modules; MMEngine converts it to SyncBN in distributed runs (sync_bn below).
# CPU runs, single- or multi-process: `--cfg-options sync_bn=None` (no SyncBN kernel on CPU).
norm_cfg = dict(type='BN', requires_grad=True)
sync_bn = 'torch'
rgb_preprocessor = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(480, 640))
# Depth in metres (0-10 m, 0 = missing), replicated to 3 channels by the packing transform.
depth_preprocessor = dict(
    type='SegDataPreProcessor', mean=[2.8, 2.8, 2.8], std=[1.4, 1.4, 1.4],
    bgr_to_rgb=False, pad_val=0, seg_pad_val=255, size=(480, 640))
model = dict(
    data_preprocessor=rgb_preprocessor,
    pretrained='open-mmlab://resnet18_v1c',
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=512, channels=128, c1_in_channels=64, c1_channels=48,
                     num_classes=40, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=256, channels=64, num_classes=40, norm_cfg=norm_cfg))

# The tensors distillation methods read from a segmentor, by name (CrossModalDistiller
# recorder configs; a method maps the ones it needs). Dense tensors: losses treat each pixel as
# a sample; the teacher's maps are resampled onto the student's grid where they differ.
#   logits      classifier output (N, 40, H/4, W/4)
#   feat        the decode head's last feature map (N, 128, H/4, W/4), the input of its 1x1
#               classifier after the ReLU, before dropout: FD-CMKD's feature (the paper leaves
#               the dense feature open; docs/method.md)
#   feat_preact the same before that ReLU: the input of the in-place activation (cloned by
#               the recorder); OFD's position, its BN as parameters preact_bn_*
#   stage2..4   backbone stage outputs at 1/8 resolution (dilated stages 3 and 4): AFD; C2KD's
#               per-pixel proxies read stage3 (256 channels)
segmentor_tensors = dict(
    logits=dict(path='decode_head.conv_seg'),
    feat=dict(path='decode_head.sep_bottleneck'),
    feat_preact=dict(path='decode_head.sep_bottleneck.1.pointwise_conv.activate',
                     source='input'),
    preact_bn_weight=dict(path='decode_head.sep_bottleneck.1.pointwise_conv.bn.weight',
                          source='parameter'),
    preact_bn_bias=dict(path='decode_head.sep_bottleneck.1.pointwise_conv.bn.bias',
                        source='parameter'),
    stage2=dict(path='backbone.layer2'),
    stage3=dict(path='backbone.layer3'),
    stage4=dict(path='backbone.layer4'))
segmentor_channels = dict(feat=128, stages=[128, 256, 512], proxy=256)
