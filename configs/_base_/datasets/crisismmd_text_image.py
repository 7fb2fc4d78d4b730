# CrisisMMD v2.0 (tweet text + tweet image of the same post) with the public benchmark splits
# (train / dev / test), for the distillers. Layout: README "Classification (Table 2)" and
# fdkd_mm/datasets/crisismmd.py. Validation on dev, testing on test. Check the download with
# tools/dataset_converters/crisismmd.py (docs/data_preparation.md).
dataset_type = 'fdkd_mm.CrisisMMDDataset'
data_root = 'data/CrisisMMD_v2.0'
# The paper does not name the task; 'informative' (2 classes) is the dataset's default. For the
# humanitarian task set task='humanitarian' here and num_classes=8 (5 with split_set='agreed')
# in the experiment configs.
task = 'informative'
split_set = 'all'
# The tokenizer files (vocab.txt, tokenizer_config.json) of the local BERT-base-uncased
# directory that the text model loads its weights from (configs/_base_/models/
# crisismmd_bert_mobilenetv2.py, `bert_dir`); nothing is downloaded at run time.
tokenizer_dir = 'data/pretrained/bert-base-uncased'

text_pipeline = [dict(type='fdkd_mm.TokenizeText', tokenizer_path=tokenizer_dir, max_length=128)]
# ImageNet-style augmentation for the ImageNet-pretrained MobileNetV2: random resized crop and
# flip for training; short edge 256 + centre crop 224 for testing. Images load as BGR; the
# image data preprocessor converts to RGB and normalises.
image_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=224),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
]
image_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.ResizeEdge', scale=256, edge='short'),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
]
_pack = dict(type='fdkd_mm.PackTextImageInputs', modalities=('text', 'image'))
train_pipeline = text_pipeline + image_train_pipeline + [_pack]
test_pipeline = text_pipeline + image_test_pipeline + [_pack]

_dataset = dict(type=dataset_type, data_root=data_root, task=task, split_set=split_set)
train_dataloader = dict(
    batch_size=32,  # one batch size for both modalities: BERT-base at 128 tokens sets it
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**_dataset, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, split='dev', test_mode=True, pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, split='test', test_mode=True, pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
# mmpretrain's visualizer: `tools/test.py --show-dir` draws image inputs with their labels.
visualizer = dict(type='mmpretrain.UniversalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
