# VGGSound-50k under MST-Distill's protocol (141 classes, their split): visual teacher (frozen)
# -> audio student, ResNet-18s from scratch on our schedule. Train the teacher first:
#   python tools/train.py configs/mst/uni_r18-visual_vggsound50k.py
_base_ = [
    './av_visual_to_audio.py', '../datasets/vggsound50k_mst.py', '../schedules/av_100e.py',
    '../default_runtime.py'
]
num_classes = 141
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/uni_r18-visual_vggsound50k/epoch_100.pth')  # its last epoch
