# Table 4 ablation, "Freq" off: no frequency decoupling. One loss on the whole (standardised)
# feature, one shared head, no auxiliary band heads; the other switches stay on.
_base_ = ['../fdkd/nyu_depth_to_rgb.py']
model = dict(ablation=dict(frequency=False))
