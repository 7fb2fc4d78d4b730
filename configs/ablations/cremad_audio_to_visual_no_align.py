# CREMA-D (audio -> visual), Table 4 ablation, "Align" off: no shared classifiers (no L_align
# terms).
_base_ = ['../fdkd/cremad_audio_to_visual.py']
model = dict(ablation=dict(align=False))
