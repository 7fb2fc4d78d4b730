# Depth "Uni" teacher for NYU-Depth V2: DeepLabV3+ R18 on depth alone (replicated to 3 channels, so
# the ImageNet-pretrained stem applies), 40 classes, 50 epochs, batch 16, SGD + poly lr.
_base_ = [
    '../_base_/models/nyu_deeplabv3plus_r18.py', '../_base_/datasets/nyu_depth.py',
    '../_base_/schedules/nyu_50e.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=_base_.depth_preprocessor)
