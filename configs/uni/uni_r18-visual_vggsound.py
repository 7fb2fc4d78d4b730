# Visual "Uni" model of VGGSound (the 50-class subset): frame-folding ResNet-18 from scratch on
# video frames, 100 epochs, batch 64, SGD + per-epoch poly lr. The teacher of
# vggsound_visual_to_audio and the visual baseline of Table 2.
_base_ = [
    '../_base_/models/av_visual_resnet18.py', '../_base_/datasets/vggsound_visual.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 50
model = dict(head=dict(num_classes=num_classes))

# VGGSound has no validation split (val = test): keep the last epoch and report it, rather than
# selecting a "best" checkpoint on the test set.
default_hooks = dict(checkpoint=dict(save_best=None))
