# Visual "Uni" model of AVE (28 events): frame-folding ResNet-18 from scratch on video frames, 100
# epochs, batch 64, SGD + per-epoch poly lr. The teacher of the ave_visual_to_audio pairs
# (configs/_base_/pairs/ave_visual_to_audio.py) and the visual baseline of Table 2.
_base_ = [
    '../_base_/models/av_visual_resnet18.py', '../_base_/datasets/ave_visual.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 28
model = dict(head=dict(num_classes=num_classes))
