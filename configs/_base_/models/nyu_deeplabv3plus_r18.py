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
