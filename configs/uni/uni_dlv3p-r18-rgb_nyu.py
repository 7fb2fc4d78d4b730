# RGB "Uni" model for NYU-Depth V2 (teacher of the nyu_rgb_to_depth pairs
# (configs/_base_/pairs/nyu_rgb_to_depth.py), and the RGB baseline).
_base_ = [
    '../_base_/models/nyu_deeplabv3plus_r18.py', '../_base_/datasets/nyu_rgb.py',
    '../_base_/schedules/nyu_50e.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=_base_.rgb_preprocessor)
