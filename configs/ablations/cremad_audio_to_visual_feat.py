# CREMA-D (audio -> visual), Table 4, all switches off: plain feature MSE ("Feat").
_base_ = ['../fdkd/cremad_audio_to_visual.py']
model = dict(ablation=dict(frequency=False, align=False, scale=False, log=False))
