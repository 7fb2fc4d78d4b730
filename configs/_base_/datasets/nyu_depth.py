# Depth alone (the depth "Uni" teacher): depth packed as the plain inputs tensor.
_base_ = ['./nyu_rgbd.py']

_pack = dict(type='fdkd_mm.PackMultiModalSegInputs', modalities=dict(depth='depth'),
             depth_channels=3, plain_inputs=True)
train_pipeline = _base_.train_pipeline[:-1] + [_pack]
# Depth alone, so that mmseg.apis.init_model + inference_model run this config on a depth PNG
# (uint16, mm): the map is read from the image path the API fills in, and the label loader is
# written with its scope as a key, which inference_model recognises by its plain type name and
# drops (a 'mmseg.' prefix hides it).
test_pipeline = [
    dict(type='fdkd_mm.LoadDepthFromFile', depth_scale=1000.0, max_depth=10.0,
         path_keys=('depth_path', 'img_path')),
    dict(type='LoadAnnotations', _scope_='mmseg', reduce_zero_label=True),
    _pack,
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
