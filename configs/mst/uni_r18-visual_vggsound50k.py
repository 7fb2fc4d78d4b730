# VGGSound-50k under MST-Distill's protocol: 141 classes, their clips and index-file split;
# our network and schedule (ResNet-18 from scratch on video frames, 100 epochs, batch 64,
# SGD). The visual "Uni" model and the teacher of kd_r18-visual_r18-audio_vggsound50k.
_base_ = [
    '../_base_/models/av_visual_resnet18.py', '../_base_/datasets/vggsound50k_mst_visual.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 141
model = dict(head=dict(num_classes=num_classes))
