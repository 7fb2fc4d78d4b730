# AVE: audio-visual fusion teacher (frozen) -> visual student ("MM -> m"), ResNet-18s from
# scratch, the paper's schedule. Train the teacher first:
# python tools/train.py configs/mm/uni_fusion-r18-av_ave.py
_base_ = [
    './av_fusion_to_visual.py', '../datasets/ave_av.py', '../schedules/av_100e.py',
    '../default_runtime.py'
]
num_classes = 28
model = dict(
    student=dict(head=dict(num_classes=num_classes)),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_ckpt='work_dirs/uni_fusion-r18-av_ave/epoch_100.pth')  # its last epoch
