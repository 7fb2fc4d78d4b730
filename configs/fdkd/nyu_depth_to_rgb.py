# The promised short name: `python tools/train.py configs/fdkd/nyu_depth_to_rgb.py`.
# FD-CMKD on NYU-Depth V2, frozen depth teacher -> RGB student: exactly
# fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py, with its own work dir. Train the teacher first
# (`python tools/train.py configs/uni/uni_dlv3p-r18-depth_nyu.py`).
_base_ = ['./fdkd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu.py']
work_dir = './work_dirs/nyu_depth_to_rgb'
