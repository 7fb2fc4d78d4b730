# Table 7 on CREMA-D (audio -> visual): cutoff 0.5. The low band is the lowest 0.5 of the 256
# non-DC rfft bins of the 512-d ResNet-18 feature (bins 1..128). 0.5 is the method's default.
_base_ = ['../fdkd/cremad_audio_to_visual.py']
model = dict(decoupler=dict(type='FrequencyDecoupler', cutoff=0.5))
