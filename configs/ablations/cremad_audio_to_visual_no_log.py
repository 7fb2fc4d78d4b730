# CREMA-D (audio -> visual), Table 4 ablation, "Log" off: plain MSE on the high band instead of
# sign-log MSE.
_base_ = ['../fdkd/cremad_audio_to_visual.py']
model = dict(ablation=dict(log=False))
