# Audio "Uni" model of VGGSound (the 50-class subset): ResNet-18 from scratch on log-spectrograms,
# 100 epochs, batch 64, SGD + per-epoch poly lr. The teacher of vggsound_audio_to_visual and the
# audio baseline of Table 2.
_base_ = [
    '../_base_/models/av_audio_resnet18.py', '../_base_/datasets/vggsound_audio.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 50
model = dict(head=dict(num_classes=num_classes))

# VGGSound has no validation split (val = test): keep the last epoch and report it, rather than
# selecting a "best" checkpoint on the test set.
default_hooks = dict(checkpoint=dict(save_best=None))
