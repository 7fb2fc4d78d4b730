# NYU-Depth V2, the early-fused RGB-D map alone (the RGB-D model's own run): ./nyu_rgbd_early.py
# with only 'rgbd' packed, as the plain inputs tensor.
_base_ = ['./nyu_rgbd_early.py']

_pack = dict(type='fdkd_mm.PackMultiModalSegInputs', modalities=dict(rgbd='rgbd'),
             plain_inputs=True)
train_pipeline = _base_.train_pipeline[:-1] + [_pack]
test_pipeline = _base_.test_pipeline[:-1] + [_pack]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
