# ImageNet-pretrained MobileNetV2 image classifier alone: the image "Uni" model / teacher.
_base_ = ['./crisismmd_bert_mobilenetv2.py']
model = _base_.image_classifier
