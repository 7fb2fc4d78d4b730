# CREMA-D (6 emotions, 6,698 train / 744 test clips): the audio and the video frames of the
# same clip, for the distillers. Layout: README "Classification (Table 2)" and
# fdkd_mm/datasets/audio_visual/cremad.py. CREMA-D has no validation split: val = test.
# Made from the official download by tools/dataset_converters/cremad.py
# (docs/data_preparation.md).
dataset_type = 'fdkd_mm.CremaDDataset'
data_root = 'data/CREMA-D'

# Audio as the public AV code: 22,050 Hz, waveform tiled to 3 s, clipped, log|STFT| with
# n_fft 512 / hop 353 -> (1, 257, 188). No mean/std: the spectrogram feeds ResNet-18 as is.
audio_pipeline = [
    dict(type='fdkd_mm.LoadWaveform', sample_rate=22050),
    dict(type='fdkd_mm.LogSpectrogram', duration=3.0, n_fft=512, hop_length=353),
]
# One frame per clip (T = 1), as the public CREMA-D loader (C2KD's) reads; training frames get
# a random resized crop to 224 and a flip, test frames a plain resize to 224 x 224.
num_frames = 1
visual_train_pipeline = [
    dict(type='fdkd_mm.SampleFrames', num_frames=num_frames, random=True),
    dict(type='fdkd_mm.LoadFrames'),
    dict(type='fdkd_mm.FramesRandomResizedCrop', scale=224),
    dict(type='fdkd_mm.FramesRandomFlip', prob=0.5),
]
visual_test_pipeline = [
    dict(type='fdkd_mm.SampleFrames', num_frames=num_frames, random=False),
    dict(type='fdkd_mm.LoadFrames'),
    dict(type='fdkd_mm.FramesResize', scale=224),
]
_pack = dict(type='fdkd_mm.PackAudioVisualInputs', keys=('audio', 'visual'))
train_pipeline = audio_pipeline + visual_train_pipeline + [_pack]
test_pipeline = audio_pipeline + visual_test_pipeline + [_pack]

train_dataloader = dict(
    batch_size=64,  # the paper's batch, on one GPU (with N GPUs: 64 / N each)
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='train.csv',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='test.csv', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
# mmpretrain's visualizer: `tools/test.py --show-dir` draws image inputs with their labels.
visualizer = dict(type='mmpretrain.UniversalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
