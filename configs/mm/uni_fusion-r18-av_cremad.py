# Audio-visual fusion ("MM") model of CREMA-D (6 classes): the audio and visual ResNet-18s
# of the Uni models, fused by concatenation, one linear head; trained on both modalities
# from scratch with the Uni models' schedule (100 epochs, batch 64, SGD + per-epoch poly lr).
# The teacher of the "MM -> m" pairs (configs/_base_/pairs/cremad_fusion_to_*.py); its test
# accuracy is the multimodal teacher's row.
_base_ = [
    '../_base_/models/av_fusion_resnet18.py', '../_base_/datasets/cremad_av.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 6
model = dict(head=dict(num_classes=num_classes))

# CREMA-D has no validation split (val = test): keep the last epoch and report it, rather than
# selecting a "best" checkpoint on the test set.
default_hooks = dict(checkpoint=dict(save_best=None))
