# FD-CMKD on NYU-Depth V2: RGB teacher (frozen) -> depth student. Train the teacher first:
#   python tools/train.py configs/teachers/nyu_rgb_unimodal.py
_base_ = [
    '../_base_/models/nyu_fdkd.py', '../_base_/datasets/nyu_rgbd.py',
    '../_base_/schedules/nyu_50e.py', '../_base_/default_runtime.py'
]
model = dict(
    student=dict(data_preprocessor=_base_.depth_preprocessor),
    teacher=dict(data_preprocessor=_base_.rgb_preprocessor),
    student_input='depth',
    teacher_input='rgb',
    teacher_ckpt='work_dirs/nyu_rgb_unimodal/epoch_50.pth')
