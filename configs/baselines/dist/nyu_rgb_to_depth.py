# DIST on NYU-Depth V2, the other direction: RGB teacher -> depth student; the
# method is ./nyu_depth_to_rgb.py's, only the roles swap (configs/fdkd/nyu_rgb_to_depth.py).
_base_ = ['./nyu_depth_to_rgb.py']
model = dict(
    student=dict(data_preprocessor=_base_.depth_preprocessor),
    teacher=dict(data_preprocessor=_base_.rgb_preprocessor),
    student_input='depth',
    teacher_input='rgb',
    teacher_ckpt='work_dirs/nyu_rgb_unimodal/epoch_50.pth')
work_dir = 'work_dirs/baselines/dist/nyu_rgb_to_depth'
