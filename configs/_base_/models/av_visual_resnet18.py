# Visual (frame-folding) ResNet-18 alone: the visual "Uni" model / teacher.
_base_ = ['./av_resnet18.py']
model = _base_.visual_classifier
