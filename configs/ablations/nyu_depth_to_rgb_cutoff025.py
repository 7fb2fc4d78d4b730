# Table 7: cutoff 0.25. The low band is the lowest 0.25 of the 64 non-DC rfft bins of the 128-d
# decode feature (bins 1..16), the high band the rest. 0.5 is the method's default.
_base_ = ['../fdkd/nyu_depth_to_rgb.py']
model = dict(decoupler=dict(type='FrequencyDecoupler', cutoff=0.25))
