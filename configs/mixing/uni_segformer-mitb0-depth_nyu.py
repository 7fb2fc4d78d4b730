# Depth "Uni" teacher from another architecture: mmseg's SegFormer (MiT-B0, ImageNet-pretrained)
# on NYU-Depth V2 depth (replicated to 3 channels), 40 classes, the NYU schedule. The teacher of
# fdkd_segformer-mitb0-depth_dlv3p-r18-rgb_nyu.py:
#   python tools/train.py configs/mixing/uni_segformer-mitb0-depth_nyu.py
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', '../_base_/datasets/nyu_depth.py',
    '../_base_/schedules/nyu_50e.py', '../_base_/default_runtime.py'
]
mit_b0_checkpoint = ('https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/'
                     'mit_b0_20220624-7e0fe6dd.pth')
# Plain BN in the modules, SyncBN only in distributed runs (as configs/_base_/models/nyu_*).
norm_cfg = dict(type='BN', requires_grad=True)
sync_bn = 'torch'
# Depth in metres, as nyu_deeplabv3plus_r18.depth_preprocessor.
depth_preprocessor = dict(
    type='SegDataPreProcessor', mean=[2.8, 2.8, 2.8], std=[1.4, 1.4, 1.4],
    bgr_to_rgb=False, pad_val=0, seg_pad_val=255, size=(480, 640))
model = dict(
    data_preprocessor=depth_preprocessor,
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=mit_b0_checkpoint)),
    decode_head=dict(num_classes=40, norm_cfg=norm_cfg))
# SegFormer's recipe: AdamW with a 10x head lr, not the SGD of the ResNet models.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={
        'pos_block': dict(decay_mult=0.0),
        'norm': dict(decay_mult=0.0),
        'head': dict(lr_mult=10.0)
    }))
