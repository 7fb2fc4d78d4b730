# AV-MNIST under MST-Distill's protocol (docs/data_preparation.md#mst-distills-protocol): the
# arrays of ./avmnist.py, training and test pairs concatenated (70,000) and split 60 / 20 / 20
# by column group_<k> of their index file AV-MNIST_indices.csv (a path inside data_root), each
# image and spectrogram min-max scaled on its own; their batch size, 512.
_base_ = ['./avmnist.py']
index_file = 'AV-MNIST_indices.csv'
index_group = 0  # their experiment k: column group_<k>
_mst = dict(type='fdkd_mm.MSTAVMNISTDataset', index_file=index_file, group=index_group)
train_dataloader = dict(batch_size=512, dataset=_mst)
val_dataloader = dict(batch_size=512, dataset=_mst)
test_dataloader = dict(batch_size=512, dataset=_mst)
