# Audio ResNet-18 alone: the audio "Uni" model / teacher.
_base_ = ['./av_resnet18.py']
model = _base_.audio_classifier
