# Table 4 ablation, "Log" off: the high band uses plain MSE instead of the sign-log MSE.
_base_ = ['../fdkd/nyu_depth_to_rgb.py']
model = dict(ablation=dict(log=False))
