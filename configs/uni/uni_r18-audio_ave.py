# Audio "Uni" model of AVE (28 events): ResNet-18 from scratch on log-spectrograms, 100 epochs,
# batch 64, SGD + per-epoch poly lr. The teacher of the ave_audio_to_visual pairs
# (configs/_base_/pairs/ave_audio_to_visual.py) and the audio baseline of Table 2.
_base_ = [
    '../_base_/models/av_audio_resnet18.py', '../_base_/datasets/ave_audio.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 28
model = dict(head=dict(num_classes=num_classes))
