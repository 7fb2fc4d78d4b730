# ./nyu_deeplabv3plus_r18.py with MST-Distill's 41 NYU labels: 41 outputs, label 0 (void)
# ignored by both heads' losses; padded label pixels are 0 too (so they are ignored).
_base_ = ['./nyu_deeplabv3plus_r18.py']
num_classes = 41
rgb_preprocessor = dict(_base_.rgb_preprocessor, seg_pad_val=0)
depth_preprocessor = dict(_base_.depth_preprocessor, seg_pad_val=0)
model = dict(
    data_preprocessor=rgb_preprocessor,
    decode_head=dict(num_classes=num_classes, ignore_index=0),
    auxiliary_head=dict(num_classes=num_classes, ignore_index=0))
