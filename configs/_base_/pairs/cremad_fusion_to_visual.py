# CREMA-D: audio-visual fusion teacher (frozen) -> visual student ("MM -> m"), ResNet-18s from
# scratch, the paper's schedule. Train the teacher first:
# python tools/train.py configs/mm/uni_fusion-r18-av_cremad.py
_base_ = [
    './av_fusion_to_visual.py', '../datasets/cremad_av.py', '../schedules/av_100e.py',
    '../default_runtime.py'
]
num_classes = 6
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/uni_fusion-r18-av_cremad/epoch_100.pth')  # its last epoch
# CREMA-D has no validation split (val = test): keep the last epoch and report it, rather than
# selecting a "best" checkpoint on the test set.
default_hooks = dict(checkpoint=dict(save_best=None))
