# NYU-Depth V2 with an early-fused RGB-D map for the multimodal teacher: the pipelines of
# ./nyu_rgbd.py, then the RGB image (reversed from mmseg's BGR) and the depth in metres stacked
# into one (4, H, W) input 'rgbd' after every augmentation, packed beside 'rgb' and 'depth'.
_base_ = ['./nyu_rgbd.py']

_stack = dict(type='fdkd_mm.StackModalities', keys=('img', 'depth'), out_key='rgbd',
              to_rgb=('img', ))
_pack = dict(type='fdkd_mm.PackMultiModalSegInputs',
             modalities=dict(rgb='img', depth='depth', rgbd='rgbd'), depth_channels=3)
train_pipeline = _base_.train_pipeline[:-1] + [_stack, _pack]
test_pipeline = _base_.test_pipeline[:-1] + [_stack, _pack]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
