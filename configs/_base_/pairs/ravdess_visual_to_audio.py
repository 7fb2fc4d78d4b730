# RAVDESS: visual teacher (frozen) -> audio student, ResNet-18s from scratch, the paper's schedule.
# Train the teacher first: python tools/train.py configs/uni/uni_r18-visual_ravdess.py
_base_ = [
    './av_visual_to_audio.py', '../datasets/ravdess_av.py', '../schedules/av_100e.py',
    '../default_runtime.py'
]
num_classes = 8
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/uni_r18-visual_ravdess/epoch_100.pth')  # its last epoch
