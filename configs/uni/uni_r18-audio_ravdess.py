# Audio "Uni" model of RAVDESS (8 emotions): ResNet-18 from scratch on log-spectrograms,
# the audio-visual schedule of the paper (100 epochs, batch 64, SGD + per-epoch poly lr).
# The teacher of the ravdess_audio_to_* pairs (configs/_base_/pairs/ravdess_audio_to_*.py).
_base_ = [
    '../_base_/models/av_audio_resnet18.py', '../_base_/datasets/ravdess_audio.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 8
model = dict(head=dict(num_classes=num_classes))
