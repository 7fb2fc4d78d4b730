# AV-MNIST under MST-Distill's protocol, image alone (the image "Uni" model), packed as the
# plain inputs tensor.
_base_ = ['./avmnist_mst.py']

_pack = dict(type='fdkd_mm.PackAudioVisualInputs', keys=('image', ), video_keys=(),
             plain_inputs=True)
train_dataloader = dict(dataset=dict(pipeline=[_pack]))
val_dataloader = dict(dataset=dict(pipeline=[_pack]))
test_dataloader = dict(dataset=dict(pipeline=[_pack]))
