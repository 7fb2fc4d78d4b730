# NYU-Depth V2 schedule of the paper: 50 epochs, batch 16 in total (8 GPUs x 2), SGD + poly lr.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=50, by_epoch=True,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# The paper's batch size; scale the lr linearly with `--auto-scale-lr`-style overrides.
auto_scale_lr = dict(enable=False, base_batch_size=16)
