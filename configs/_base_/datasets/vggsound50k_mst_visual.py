# VGGSound-50k under MST-Distill's protocol (./vggsound50k_mst.py), frames alone (the visual
# "Uni" model): (3, T, H, W) clips as the plain inputs tensor.
_base_ = ['./vggsound50k_mst.py']

_pack = dict(type='fdkd_mm.PackAudioVisualInputs', keys=('visual', ), plain_inputs=True)
train_pipeline = _base_.visual_train_pipeline + [_pack]
test_pipeline = _base_.visual_test_pipeline + [_pack]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
