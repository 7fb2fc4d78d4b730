# NYU-Depth V2 under MST-Distill's protocol: 41 labels (0 ignored), their index-file split;
# our network and schedule (DeepLabV3+ R18, 50 epochs). The rgb "Uni" model and teacher.
_base_ = [
    '../_base_/models/nyu_deeplabv3plus_r18_mst41.py', '../_base_/datasets/nyu_rgb_mst.py',
    '../_base_/schedules/nyu_50e.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=_base_.rgb_preprocessor)
