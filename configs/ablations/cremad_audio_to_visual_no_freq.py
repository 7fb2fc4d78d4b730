# CREMA-D (audio -> visual), Table 4 ablation, "Freq" off: no decoupling; one loss and one shared
# head on the whole feature.
_base_ = ['../fdkd/cremad_audio_to_visual.py']
model = dict(ablation=dict(frequency=False))
