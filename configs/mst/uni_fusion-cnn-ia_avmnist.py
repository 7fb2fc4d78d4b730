# MST-Distill's AV-MNIST protocol: their multimodal teacher ("CNN-I": LeNet-5 + a five-layer
# audio CNN, concatenated, two linear layers) trained on both modalities, their split and
# schedule. Its test accuracy is the MM teacher's row; the teacher of the "MM -> m" cells.
_base_ = [
    '../_base_/models/avmnist_mst_cnns.py', '../_base_/datasets/avmnist_mst.py',
    '../_base_/schedules/mst_adam_100e.py', '../_base_/default_runtime.py'
]
model = _base_.fusion_cnn_classifier
