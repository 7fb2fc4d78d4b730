# FD-CMKD on NYU-Depth V2: depth teacher (frozen) -> RGB student. Train the teacher first:
#   python tools/train.py configs/teachers/nyu_depth_unimodal.py
_base_ = [
    '../_base_/models/nyu_fdkd.py', '../_base_/datasets/nyu_rgbd.py',
    '../_base_/schedules/nyu_50e.py', '../_base_/default_runtime.py'
]
model = dict(
    student=dict(data_preprocessor=_base_.rgb_preprocessor),
    teacher=dict(data_preprocessor=_base_.depth_preprocessor),
    student_input='rgb',
    teacher_input='depth',
    teacher_ckpt='work_dirs/nyu_depth_unimodal/epoch_50.pth')
