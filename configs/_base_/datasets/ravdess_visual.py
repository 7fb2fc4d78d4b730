# RAVDESS frames alone (the visual "Uni" model): (3, T, H, W) clips as the plain inputs tensor.
_base_ = ['./ravdess_av.py']

_pack = dict(type='fdkd_mm.PackAudioVisualInputs', keys=('visual', ), plain_inputs=True)
train_pipeline = _base_.visual_train_pipeline + [_pack]
test_pipeline = _base_.visual_test_pipeline + [_pack]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
