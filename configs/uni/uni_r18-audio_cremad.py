# Audio "Uni" model of CREMA-D (6 emotions): ResNet-18 from scratch on log-spectrograms, 100 epochs,
# batch 64, SGD + per-epoch poly lr. The teacher of the cremad_audio_to_visual pairs
# (configs/_base_/pairs/cremad_audio_to_visual.py) and the audio baseline of Table 2.
_base_ = [
    '../_base_/models/av_audio_resnet18.py', '../_base_/datasets/cremad_audio.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 6
model = dict(head=dict(num_classes=num_classes))

# CREMA-D has no validation split (val = test): keep the last epoch and report it, rather than
# selecting a "best" checkpoint on the test set.
default_hooks = dict(checkpoint=dict(save_best=None))
