# VGGSound-50k under MST-Distill's protocol: 141 classes, their clips and index-file split;
# our network and schedule (ResNet-18 from scratch on log-spectrograms, 100 epochs, batch 64,
# SGD). The audio "Uni" model and the teacher of kd_r18-audio_r18-visual_vggsound50k.
_base_ = [
    '../_base_/models/av_audio_resnet18.py', '../_base_/datasets/vggsound50k_mst_audio.py',
    '../_base_/schedules/av_100e.py', '../_base_/default_runtime.py'
]
num_classes = 141
model = dict(head=dict(num_classes=num_classes))
