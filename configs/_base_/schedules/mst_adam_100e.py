# MST-Distill's schedule: Adam, lr 1e-4, cosine annealing over 100 epochs (per epoch), no weight
# decay; validated every epoch. As everywhere here, the last epoch is tested (they keep the
# epoch best on validation).
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=512)
