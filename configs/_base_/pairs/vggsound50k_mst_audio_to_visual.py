# VGGSound-50k under MST-Distill's protocol (141 classes, their split): audio teacher (frozen)
# -> visual student, ResNet-18s from scratch on our schedule. Train the teacher first:
#   python tools/train.py configs/mst/uni_r18-audio_vggsound50k.py
_base_ = [
    './av_audio_to_visual.py', '../datasets/vggsound50k_mst.py', '../schedules/av_100e.py',
    '../default_runtime.py'
]
num_classes = 141
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/uni_r18-audio_vggsound50k/epoch_100.pth')  # its last epoch
