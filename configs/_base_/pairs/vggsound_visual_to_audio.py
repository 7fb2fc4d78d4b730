# VGGSound: visual teacher (frozen) -> audio student, ResNet-18s from scratch, the paper's schedule.
# Train the teacher first: python tools/train.py configs/uni/uni_r18-visual_vggsound.py
_base_ = [
    './av_visual_to_audio.py', '../datasets/vggsound_av.py', '../schedules/av_100e.py',
    '../default_runtime.py'
]
num_classes = 50
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/uni_r18-visual_vggsound/epoch_100.pth')  # its last epoch
# VGGSound has no validation split (val = test): keep the last epoch and report it, rather than
# selecting a "best" checkpoint on the test set.
default_hooks = dict(checkpoint=dict(save_best=None))
