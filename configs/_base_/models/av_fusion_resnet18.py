# The audio-visual fusion classifier alone: the multimodal teacher's own ("Uni") run.
_base_ = ['./av_mm_resnet18.py']
model = _base_.av_fusion_classifier
