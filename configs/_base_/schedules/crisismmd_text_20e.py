# CrisisMMD text schedule: BERT-base fine-tuned for 20 epochs (the paper's length). The paper
# gives no optimiser; this is the standard BERT fine-tuning recipe: AdamW, lr 2e-5, weight decay
# 0.01, linear warm-up over the first epoch, then linear decay to 0 (per iteration), gradient
# norm clipped at 1. Used by every config whose student (or Uni model) is the text model.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-5, betas=(0.9, 0.999), weight_decay=0.01),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, end_factor=1.0, begin=0, end=1, by_epoch=True,
         convert_to_iter_based=True),
    dict(type='PolyLR', power=1.0, eta_min=0.0, begin=1, end=20, by_epoch=True,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=32)
