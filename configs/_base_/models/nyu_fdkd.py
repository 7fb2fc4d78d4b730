# FD-CMKD on NYU-Depth V2 with DeepLabV3+ R18 students and teachers. Experiment configs set
# student_input / teacher_input, the two preprocessors and teacher_ckpt.
_base_ = ['./nyu_deeplabv3plus_r18.py']

# The decode head's last feature map (input of its 1x1 classifier, before dropout): 128 channels
# per pixel at 1/4 resolution. METHOD.md: the paper leaves the dense feature open.
decode_feature = dict(path='decode_head.sep_bottleneck', source='output')
segmentor = _base_.model
model = dict(
    _delete_=True,
    type='FrequencyDecoupledDistiller',
    student=segmentor,
    teacher=segmentor,
    student_recorder=decode_feature,
    teacher_recorder=decode_feature,
    pool=None,  # dense: one 128-d vector per pixel
    num_classes=40,
    in_channels=128,
    decoupler=dict(type='FrequencyDecoupler', cutoff=0.5),
    low_loss=dict(type='FrequencyAlignLoss', mode='mse', loss_weight=1.0),  # λ1
    high_loss=dict(type='FrequencyAlignLoss', mode='log_mse', loss_weight=1.0),  # λ2
    shared_head=dict(type='SharedHead', loss_weight=1.0),
    aux_head=dict(type='SharedHead', loss_weight=1.0),
    ablation=dict(frequency=True, align=True, scale=True, log=True),
    ignore_index=255,
    # 'bf16' runs the frozen teacher's forward under bf16 autocast (features back in float32).
    teacher_autocast=None,
    # None: each modality goes through its own model's preprocessor (MultiModalDataPreprocessor).
    # Explicit, because MMEngine's Runner would otherwise inject the top-level
    # `data_preprocessor` of mmseg's base config (an RGB-only SegDataPreProcessor).
    data_preprocessor=None)
