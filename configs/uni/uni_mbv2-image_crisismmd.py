# Image "Uni" model of CrisisMMD (informative task, 2 classes): ImageNet-pretrained MobileNetV2 on
# the tweet image, 20 epochs (schedules/crisismmd_image_20e.py). The teacher of
# crisismmd_image_to_text and the image baseline of Table 2.
_base_ = [
    '../_base_/models/crisismmd_image_mobilenetv2.py', '../_base_/datasets/crisismmd_image.py',
    '../_base_/schedules/crisismmd_image_20e.py', '../_base_/default_runtime.py'
]
num_classes = 2
model = dict(head=dict(num_classes=num_classes))
