# Image-audio fusion ("MM") model of AV-MNIST (10 digits): the two 1-channel ResNet-18s of the
# Uni models, fused by concatenation, one linear head; the AV schedule. The teacher of the
# "MM -> m" AV-MNIST pairs (configs/_base_/pairs/avmnist_fusion_to_*.py).
_base_ = [
    '../_base_/models/avmnist_mm_resnet18.py', '../_base_/datasets/avmnist.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
model = _base_.avmnist_fusion_classifier
