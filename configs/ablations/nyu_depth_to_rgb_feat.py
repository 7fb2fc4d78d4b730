# Table 4 ablation, all four switches off: plain feature MSE between student and teacher
# features ("Feat"), the baseline row of the table.
_base_ = ['../fdkd/nyu_depth_to_rgb.py']
model = dict(ablation=dict(frequency=False, align=False, scale=False, log=False))
