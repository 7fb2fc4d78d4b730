# Mixing architectures: a SegFormer (MiT-B0) depth teacher distilled into the DeepLabV3+ R18 RGB
# student with FD-CMKD. Train the teacher first:
#   python tools/train.py configs/mixing/uni_segformer-mitb0-depth_nyu.py
#
# Distilled features: the last feature map of each decode head. SegFormer's is its fused
# feature (decode_head.fusion_conv, 256 channels at 1/4 resolution), DeepLabV3+'s the
# sep_bottleneck output (128 channels at 1/4). The widths differ, so the student feature is
# projected to 256 channels (the pair's student_feat connector becomes a ProjectionConnector:
# 1x1 conv + BN, trained with the student); a teacher map of another resolution would be
# resampled bilinearly onto the student's grid by the loss.
_base_ = ['../fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py']
teacher_width = 256
model = dict(
    # The same architecture as uni_segformer-mitb0-depth_nyu.py, so its checkpoint loads
    # strictly (tests/configs/test_mixing_configs.py checks the state dict layout).
    teacher=dict(
        _delete_=True,
        type='mmseg.EncoderDecoder',
        data_preprocessor=_base_.depth_preprocessor,
        pretrained=None,
        backbone=dict(
            type='MixVisionTransformer', in_channels=3, embed_dims=32, num_stages=4,
            num_layers=[2, 2, 2, 2], num_heads=[1, 2, 5, 8], patch_sizes=[7, 3, 3, 3],
            sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3), mlp_ratio=4, qkv_bias=True,
            drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.1),
        decode_head=dict(
            type='SegformerHead', in_channels=[32, 64, 160, 256], in_index=[0, 1, 2, 3],
            channels=teacher_width, dropout_ratio=0.1, num_classes=40,
            norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole')),
    teacher_ckpt='work_dirs/uni_segformer-mitb0-depth_nyu/epoch_50.pth',
    # Only the distilled feature: the segmentor vocabulary's other paths are DeepLabV3+'s.
    teacher_recorders=dict(_delete_=True,
                           feat=dict(path='decode_head.fusion_conv', source='output')),
    connectors=dict(student_feat=dict(type='ProjectionConnector', in_channels=128,
                                      out_channels=teacher_width)),
    distill_losses=dict(loss_fd=dict(in_channels=teacher_width)))
