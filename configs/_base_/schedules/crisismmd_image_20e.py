# CrisisMMD image schedule (the paper gives none): the ImageNet-pretrained MobileNetV2 is
# fine-tuned for 20 epochs, as long as the text model, so a text -> image distillation sees the
# same number of passes as its teacher. The audio-visual recipe scaled to fine-tuning: SGD with
# momentum 0.9, lr 1e-2 with poly decay (power 0.9) per epoch to 1e-4, and MobileNetV2's own
# ImageNet weight decay (4e-5). Used by every config whose student (or Uni model) is the image
# model.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-2, momentum=0.9, weight_decay=4e-5),
    clip_grad=None)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=20, by_epoch=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=32)
