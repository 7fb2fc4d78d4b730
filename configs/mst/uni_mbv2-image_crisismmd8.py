# CrisisMMD-V2 under MST-Distill's protocol: the humanitarian task (8 classes numbered as
# theirs), their tweets and index-file split; our network and schedule (ImageNet-pretrained
# MobileNetV2 on the tweet image, 20 epochs). The image "Uni" model and the teacher of
# kd_mbv2-image_bert-text_crisismmd8.
_base_ = [
    '../_base_/models/crisismmd_image_mobilenetv2.py',
    '../_base_/datasets/crisismmd8_mst_image.py', '../_base_/schedules/crisismmd_image_20e.py',
    '../_base_/default_runtime.py'
]
num_classes = 8
model = dict(head=dict(num_classes=num_classes))
