# Table 4 ablation, "Scale" off: the band losses compare raw bands, without Std (Eq. 7).
_base_ = ['../fdkd/nyu_depth_to_rgb.py']
model = dict(ablation=dict(scale=False))
