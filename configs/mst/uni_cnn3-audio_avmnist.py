# MST-Distill's AV-MNIST protocol: the three-layer CNN on the spectrogram alone (their "m2" Uni
# model and the teacher of the audio -> image cell), their split and schedule.
_base_ = [
    '../_base_/models/avmnist_mst_cnns.py', '../_base_/datasets/avmnist_mst_audio.py',
    '../_base_/schedules/mst_adam_100e.py', '../_base_/default_runtime.py'
]
model = _base_.cnn3_classifier
