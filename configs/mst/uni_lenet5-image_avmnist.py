# MST-Distill's AV-MNIST protocol: LeNet-5 on the image alone (their "m1" Uni model and the
# teacher of the image -> audio cell), their split and schedule (Adam 1e-4, cosine, 100 epochs).
_base_ = [
    '../_base_/models/avmnist_mst_cnns.py', '../_base_/datasets/avmnist_mst_image.py',
    '../_base_/schedules/mst_adam_100e.py', '../_base_/default_runtime.py'
]
model = _base_.lenet5_classifier
