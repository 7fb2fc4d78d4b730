# RAVDESS: audio teacher (frozen) -> visual student, ResNet-18s from scratch, the paper's schedule.
# Train the teacher first: python tools/train.py configs/uni/uni_r18-audio_ravdess.py
_base_ = [
    './av_audio_to_visual.py', '../datasets/ravdess_av.py', '../schedules/av_100e.py',
    '../default_runtime.py'
]
num_classes = 8
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/uni_r18-audio_ravdess/epoch_100.pth')  # its last epoch
