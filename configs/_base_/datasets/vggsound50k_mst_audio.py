# VGGSound-50k under MST-Distill's protocol (./vggsound50k_mst.py), audio alone (the audio "Uni"
# model): the spectrogram as the plain inputs tensor.
_base_ = ['./vggsound50k_mst.py']

_pack = dict(type='fdkd_mm.PackAudioVisualInputs', keys=('audio', ), plain_inputs=True)
train_pipeline = _base_.audio_train_pipeline + [_pack]
test_pipeline = _base_.audio_test_pipeline + [_pack]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
