# VGGSound, the paper's 50-class subset (given by the split csvs): the audio and the video frames
# of the same clip, for the distillers. Layout: README "Classification (Table 2)" and
# fdkd_mm/datasets/audio_visual/vggsound.py. No validation split: val = test.
# Made from the user's clips by tools/dataset_converters/vggsound.py (docs/data_preparation.md);
# rows whose clip is missing are left out and counted (the dataset's missing_files='drop').
dataset_type = 'fdkd_mm.VGGSoundDataset'
data_root = 'data/VGGSound'
# Both split files define the class list, so an index means the same class in train and test.
class_files = ('train.csv', 'test.csv')

# Audio as the public code: 16 kHz, tiled to 10 s, a 5 s window (random start for training,
# the centre of the admissible range for testing), clipped, log|STFT| with hop 128. n_fft 512
# gives the 257 frequency bins the paper states (the public code: 256) -> (1, 257, 626).
_audio_load = dict(type='fdkd_mm.LoadWaveform', sample_rate=16000)
audio_train_pipeline = [
    _audio_load,
    dict(type='fdkd_mm.LogSpectrogram', duration=5.0, tile_to=10.0, crop='random', n_fft=512,
         hop_length=128),
]
audio_test_pipeline = [
    _audio_load,
    dict(type='fdkd_mm.LogSpectrogram', duration=5.0, tile_to=10.0, crop='center', n_fft=512,
         hop_length=128),
]
# Three frames per clip (T = 3), C2KD's VGGSound default (--use_video_frames 3), one per
# temporal segment; they are folded into the batch and their features averaged.
num_frames = 3
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
train_pipeline = audio_train_pipeline + visual_train_pipeline + [_pack]
test_pipeline = audio_test_pipeline + visual_test_pipeline + [_pack]

train_dataloader = dict(
    batch_size=64,  # the paper's batch, on one GPU (with N GPUs: 64 / N each)
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='train.csv',
                 class_files=class_files, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='test.csv', class_files=class_files,
        data_prefix=dict(audio='test-audios/test-set',
                         visual='test-videos/test-set-img/Image-01-FPS'),
        test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
# mmpretrain's visualizer: `tools/test.py --show-dir` draws image inputs with their labels.
visualizer = dict(type='mmpretrain.UniversalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
