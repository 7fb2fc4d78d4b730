# RGB alone (the RGB "Uni" model): the image packed as the plain inputs tensor.
_base_ = ['./nyu_rgbd.py']

_pack = dict(type='fdkd_mm.PackMultiModalSegInputs', modalities=dict(rgb='img'), depth_channels=3,
             plain_inputs=True)
train_pipeline = _base_.train_pipeline[:-1] + [_pack]
# The image alone, so that mmseg.apis.init_model + inference_model run this config on an image
# file: no depth is loaded, and the label loader is written with its scope as a key, which
# inference_model recognises by its plain type name and drops (a 'mmseg.' prefix hides it).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', _scope_='mmseg', reduce_zero_label=True),
    _pack,
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
