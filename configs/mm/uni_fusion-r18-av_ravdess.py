# Audio-visual fusion ("MM") model of RAVDESS (8 classes): the audio and visual ResNet-18s
# of the Uni models, fused by concatenation, one linear head; trained on both modalities
# from scratch with the Uni models' schedule (100 epochs, batch 64, SGD + per-epoch poly lr).
# The teacher of the "MM -> m" pairs (configs/_base_/pairs/ravdess_fusion_to_*.py); its test
# accuracy is the multimodal teacher's row.
_base_ = [
    '../_base_/models/av_fusion_resnet18.py', '../_base_/datasets/ravdess_av.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 8
model = dict(head=dict(num_classes=num_classes))
