# NYU-Depth V2 (40 classes), RGB and depth of the same scene, geometry applied to both alike.
# Layout: see README ("NYU-Depth V2"); convert with tools/dataset_converters/nyu_depth_v2.py.
dataset_type = 'fdkd_mm.NYUDepthV2Dataset'
data_root = 'data/nyu_depth_v2'
crop_size = (480, 640)  # (h, w): the full NYU frame, as the paper trains
train_pipeline = [
    dict(type='LoadImageFromFile'),
    # mm -> m, a seg field (resized, cropped and flipped with the image)
    dict(type='fdkd_mm.LoadDepthFromFile', depth_scale=1000.0, max_depth=10.0),
    dict(type='mmseg.LoadAnnotations', reduce_zero_label=True),  # void 0 -> 255, 1..40 -> 0..39
    # mmcv's RandomResize (and LoadImageFromFile) resolve in any scope unprefixed; a prefix
    # naming a scope that does not register the type itself fails there. The Resize it
    # builds is mmseg's (not mmcv's), which also resizes seg_fields, hence depth, with nearest.
    dict(type='RandomResize', scale=(640, 480), ratio_range=(0.5, 2.0), keep_ratio=True,
         resize_type='mmseg.Resize'),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PhotoMetricDistortion'),  # touches 'img' (RGB) only
    dict(type='fdkd_mm.PackMultiModalSegInputs', modalities=dict(rgb='img', depth='depth'),
         depth_channels=3),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='fdkd_mm.LoadDepthFromFile', depth_scale=1000.0, max_depth=10.0),
    dict(type='mmseg.LoadAnnotations', reduce_zero_label=True),
    dict(type='fdkd_mm.PackMultiModalSegInputs', modalities=dict(rgb='img', depth='depth'),
         depth_channels=3),
]
train_dataloader = dict(
    batch_size=2,  # per GPU: 8 GPUs x 2 = the paper's batch of 16
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
# Predictions drawn over the RGB image by `tools/test.py --show-dir` (ours or mmseg's).
visualizer = dict(type='mmseg.SegLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')],
                  name='visualizer')
