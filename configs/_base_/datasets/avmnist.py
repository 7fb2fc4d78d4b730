# AV-MNIST (10 digits): MNIST images degraded by PCA (1 x 28 x 28) paired by label with noisy
# spoken digits as 112 x 112 spectrograms (1 x 112 x 112). MultiBench's layout and splits: the
# first 55,000 training pairs train, the last 5,000 validate, 10,000 test. Generated from MNIST,
# FSDD and ESC-50 by tools/dataset_converters/avmnist.py (docs/data_preparation.md).
dataset_type = 'fdkd_mm.AVMNISTDataset'
data_root = 'data/AV-MNIST'

# The arrays are used as generated (no augmentation); each network's BN stem scales them.
_pack = dict(type='fdkd_mm.PackAudioVisualInputs', keys=('image', 'audio'), video_keys=())
train_pipeline = [_pack]
test_pipeline = [_pack]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='val', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', test_mode=True,
                 pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
visualizer = dict(type='mmpretrain.UniversalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
