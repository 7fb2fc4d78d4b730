# NYU-Depth V2 under MST-Distill's protocol (docs/data_preparation.md#mst-distills-protocol):
# 41 labels as stored (0 = void, a class the loss and the metric ignore: ignore_index 0, as
# theirs), frames split 60 / 20 / 20 by column group_<k> of their NYU-Depth-V2_indices.csv
# (a path inside data_root). Pipelines as ./nyu_rgbd.py otherwise (the paper's crops).
_base_ = ['./nyu_rgbd.py']
index_file = 'NYU-Depth-V2_indices.csv'
ignore_index = 0


def _mst(transform):
    kind = transform['type']
    if kind == 'mmseg.LoadAnnotations':
        return dict(transform, reduce_zero_label=False)
    if kind == 'mmseg.RandomCrop':
        return dict(transform, ignore_index=0)
    return transform


train_pipeline = [_mst(t) for t in _base_.train_pipeline]
test_pipeline = [_mst(t) for t in _base_.test_pipeline]
_dataset = dict(type='fdkd_mm.MSTNYUDepthV2Dataset', index_file=index_file, group=0)
train_dataloader = dict(dataset=dict(_dataset, split='train', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(_dataset, split='val', pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(_dataset, split='test', pipeline=test_pipeline))
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'], ignore_index=0)
test_evaluator = val_evaluator
