# Table 4 ablation, "Align" off: no shared classifiers Φ_l / Φ_h (no L_align terms).
_base_ = ['../fdkd/nyu_depth_to_rgb.py']
model = dict(ablation=dict(align=False))
