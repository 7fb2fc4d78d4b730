# The multimodal teacher of NYU-Depth V2, by early fusion: ../models/nyu_deeplabv3plus_r18.py's
# DeepLabV3+ with a 4-channel stem on the stacked RGB-D map (RGB normalised with ImageNet's
# mean/std, depth in metres with the depth models' 2.8 / 1.4). The ImageNet-pretrained weights
# load into everything but the stem's first convolution, whose shape differs (3 -> 4 input
# channels): it starts from its random initialisation (mmengine reports the mismatch).
_base_ = ['./nyu_deeplabv3plus_r18.py']

rgbd_preprocessor = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53, 2.8],
    std=[58.395, 57.12, 57.375, 1.4], bgr_to_rgb=False, pad_val=0, seg_pad_val=255,
    size=(480, 640))
model = dict(data_preprocessor=rgbd_preprocessor, backbone=dict(in_channels=4))
