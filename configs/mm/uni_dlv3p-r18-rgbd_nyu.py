# RGB-D "MM" model of NYU-Depth V2 (40 classes): DeepLabV3+ R18 on the early-fused 4-channel
# RGB-D map, the Uni models' 50-epoch schedule. The teacher of the "MM -> m" NYU pairs
# (configs/_base_/pairs/nyu_rgbd_to_*.py); its test mIoU is the multimodal teacher's row.
_base_ = [
    '../_base_/models/nyu_deeplabv3plus_r18_rgbd.py', '../_base_/datasets/nyu_rgbd_fused.py',
    '../_base_/schedules/nyu_50e.py', '../_base_/default_runtime.py'
]
