# Audio-visual schedule of the paper (CREMA-D, AVE, VGGSound): ResNet-18 from scratch, 100
# epochs, batch 64, SGD with momentum 0.9; lr 1e-2 with poly decay (power 0.9) to 1e-4, stepped
# once per epoch as the public script does (by_epoch, not converted to iterations).
optim_wrapper = dict(
    type='OptimWrapper',
    # No weight decay: the paper and the authors' script use none for these runs.
    optimizer=dict(type='SGD', lr=1e-2, momentum=0.9, weight_decay=0.0),
    clip_grad=None)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=100, by_epoch=True),
]
# Evaluated after every epoch, as the public script does (the main student head only).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# The paper's batch size; scale the lr linearly with `auto_scale_lr.enable=True` if it changes.
auto_scale_lr = dict(enable=False, base_batch_size=64)
