# RAVDESS (8 emotions, 24 actors, 1,440 audio-visual speech clips): the audio and the video
# frames of the same clip, for the distillers. Made from the official per-actor zips by
# tools/dataset_converters/ravdess.py (docs/data_preparation.md), whose speaker-independent
# split is actors 09-24 train (960 clips), 05-08 validation (240), 01-04 test (240).
dataset_type = 'fdkd_mm.RAVDESSDataset'
data_root = 'data/RAVDESS'

# Audio: the converter's 3.6 s wavs at 22,050 Hz, log|STFT| with CREMA-D's n_fft 512 / hop 353
# -> (1, 257, 225), fed to ResNet-18 as is.
audio_pipeline = [
    dict(type='fdkd_mm.LoadWaveform', sample_rate=22050),
    dict(type='fdkd_mm.LogSpectrogram', duration=3.6, n_fft=512, hop_length=353),
]
# One of the 15 frames per clip (T = 1), as the unpaired code's RAVDESS loader reads one image:
# training frames get a random resized crop to 224 and a flip, test frames a resize to 224.
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
    batch_size=64,
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
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='val.csv', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='test.csv', test_mode=True,
                 pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
visualizer = dict(type='mmpretrain.UniversalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
