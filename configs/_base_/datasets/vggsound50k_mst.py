# VGGSound-50k under MST-Distill's protocol (docs/data_preparation.md#mst-distills-protocol):
# the clips of their VGGS50k_metadata.txt (line p = sample position p, 141 classes numbered as
# theirs, named from VGGSound-AVEL50k's vggsound-avel50k.csv), read from our VGGSound layout
# (training or test folders) and split 60 / 20 / 20 by column group_<k> of their
# VGGSound-50k_indices.csv. All three files are paths inside data_root. Pipelines as
# ./vggsound_av.py (audio and frames of the same clip, for the distillers).
_base_ = ['./vggsound_av.py']
metadata_file = 'VGGS50k_metadata.txt'
index_file = 'VGGSound-50k_indices.csv'
class_file = 'vggsound-avel50k.csv'  # None: classes named by their index
index_group = 0  # their experiment k: column group_<k>
_mst = dict(_delete_=True, type='fdkd_mm.MSTVGGSoundDataset', data_root=_base_.data_root,
            metadata_file=metadata_file, index_file=index_file, class_file=class_file,
            group=index_group)
train_dataloader = dict(dataset=dict(_mst, split='train', pipeline=_base_.train_pipeline))
val_dataloader = dict(
    dataset=dict(_mst, split='val', test_mode=True, pipeline=_base_.test_pipeline))
test_dataloader = dict(
    batch_size=64, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_mst, split='test', test_mode=True, pipeline=_base_.test_pipeline))
