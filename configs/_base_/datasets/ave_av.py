# AVE (28 audio-visual events; trainSet / valSet / testSet): the audio spectrogram and the video
# frames of the same video, for the distillers. Layout: README "Classification (Table 2)" and
# fdkd_mm/datasets/audio_visual/ave.py. Validation on valSet, testing on testSet.
# Made from the official download by tools/dataset_converters/ave.py (docs/data_preparation.md).
dataset_type = 'fdkd_mm.AVEDataset'
data_root = 'data/AVE_Dataset'

# The public precomputed spectrograms (Audio-1004-SE/<id>.pkl, (257, 1004), standardised per
# clip), fitted to 1024 time frames as C2KD does (repeated along time within each frequency
# row; see the dataset docstring for how this differs from C2KD's np.resize).
audio_pipeline = [dict(type='fdkd_mm.LoadSpectrogram', num_frames=1024)]
# One frame per video (T = 1), C2KD's AVE default (--num_frame 1).
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

# Classes: the 28 category names of all three split files, sorted (the dataset's default).
train_dataloader = dict(
    batch_size=64,  # the paper's batch, on one GPU (with N GPUs: 64 / N each)
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='trainSet.txt',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='valSet.txt', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='testSet.txt',
                 test_mode=True, pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
# mmpretrain's visualizer: `tools/test.py --show-dir` draws image inputs with their labels.
visualizer = dict(type='mmpretrain.UniversalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
