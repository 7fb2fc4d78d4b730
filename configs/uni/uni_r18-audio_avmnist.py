# Audio "Uni" model of AV-MNIST (10 digits): a 1-channel ResNet-18 from scratch, the
# audio-visual schedule (100 epochs, batch 64, SGD + per-epoch poly lr). The teacher of the
# avmnist_audio_to_* pairs (configs/_base_/pairs/avmnist_audio_to_*.py).
_base_ = [
    '../_base_/models/av_audio_resnet18.py', '../_base_/datasets/avmnist_audio.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 10
model = dict(head=dict(num_classes=num_classes))
