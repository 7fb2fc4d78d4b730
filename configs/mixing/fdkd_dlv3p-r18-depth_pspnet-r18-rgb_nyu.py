# Mixing architectures by zoo path: the DeepLabV3+ R18 depth teacher
# (configs/uni/uni_dlv3p-r18-depth_nyu.py) distilled into mmseg's PSPNet R18 on RGB, named by
# its config path instead of a pasted model dict (fdkd_mm/models/zoo.py). pretrained=False: not
# the zoo's Cityscapes weights; the ImageNet ResNet-18 backbone of that config stays.
#
# Distilled features: the last feature map of each decode head, 128 channels on both sides:
# PSPNet's bottleneck output (1/8 resolution) and DeepLabV3+'s sep_bottleneck output (1/4);
# the FD-CMKD loss resamples the teacher's map bilinearly onto the student's grid.
_base_ = ['../fdkd/fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py']

model = dict(
    student=dict(
        _delete_=True,
        cfg_path='mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
        pretrained=False,
        num_classes=40,
        data_preprocessor=_base_.rgb_preprocessor,
        # BN in the modules, SyncBN only in distributed runs (sync_bn), as the other NYU models.
        norm_cfg=_base_.norm_cfg),
    # Only the distilled feature: the vocabulary's other paths are DeepLabV3+'s.
    student_recorders=dict(_delete_=True,
                           feat=dict(path='decode_head.bottleneck', source='output')))
