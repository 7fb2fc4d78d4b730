# CREMA-D (audio -> visual), Table 4 ablation, "Scale" off: band losses without Std (Eq. 7).
_base_ = ['../fdkd/cremad_audio_to_visual.py']
model = dict(ablation=dict(scale=False))
