# NYU-Depth V2 under MST-Distill's protocol (./nyu_rgbd_mst.py), rgb alone (the rgb "Uni"
# model): packed as the plain inputs tensor.
_base_ = ['./nyu_rgbd_mst.py']

_pack = dict(type='fdkd_mm.PackMultiModalSegInputs', modalities=dict(rgb='img'), depth_channels=3,
             plain_inputs=True)
train_pipeline = _base_.train_pipeline[:-1] + [_pack]
test_pipeline = _base_.test_pipeline[:-1] + [_pack]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
