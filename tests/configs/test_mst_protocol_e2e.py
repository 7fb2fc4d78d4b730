"""MST-Distill's protocol: their small AV-MNIST networks as our backbones (sizes against the
published layer shapes), and cells of AV-MNIST, NYU-Depth V2 (41 labels), VGGSound-50k (141
classes) and CrisisMMD-V2 (8 humanitarian classes) training two iterations on synthetic data
split by index files in their format."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from fdkd_mm.registry import MODELS
from fdkd_mm.testing.synthetic_avmnist import write_synthetic_avmnist
from tiny_runs import REPO, distill_keys, tiny_config, train

MST = REPO / 'configs' / 'mst'


def build(config: str):
    cfg = Config.fromfile(str(MST / config))
    init_default_scope('fdkd_mm')
    return cfg, MODELS.build(cfg.model.to_dict())


def parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_lenet5_and_three_layer_cnn_have_their_published_sizes():
    _, lenet = build('uni_lenet5-image_avmnist.py')
    # conv 1->6 (5x5), 6->16 (5x5), 16->120 (5x5), fc 120->84, classifier 84->10, with biases.
    assert parameters(lenet) == (6 * 26) + (16 * 151) + (120 * 401) + (84 * 121) + (10 * 85)
    logits = lenet(torch.rand(3, 1, 28, 28))
    assert logits.shape == (3, 10)
    _, cnn3 = build('uni_cnn3-audio_avmnist.py')
    # conv 1->32, 32->64, 64->128 (3x3), then 128 x 14 x 14 flattened into the classifier.
    assert parameters(cnn3) == (32 * 10) + (64 * 289) + (128 * 577) + 10 * (128 * 14 * 14 + 1)
    (feat, ) = cnn3.extract_feat(torch.rand(2, 1, 112, 112))
    assert feat.shape == (2, 128 * 14 * 14)


def test_fusion_cnn_is_lenet5_plus_five_layer_cnn_and_two_linear_layers():
    _, fusion = build('uni_fusion-cnn-ia_avmnist.py')
    five_layer = (32 * 10) + (64 * 289) + (128 * 577) + (256 * 1153) + (512 * 2305)
    lenet_trunk = (6 * 26) + (16 * 151) + (120 * 401) + (84 * 121)
    head = 298 * (596 + 1) + 10 * (298 + 1)  # 84 + 512 = 596 -> 298 -> 10, no activation
    assert parameters(fusion) == five_layer + lenet_trunk + head
    assert not any(isinstance(m, torch.nn.ReLU) for m in fusion.head.modules())


def mst_avmnist(root: Path) -> dict:
    """Synthetic AV-MNIST (12 + 8 pairs) and an index file of their format."""
    write_synthetic_avmnist(str(root), num_train=12, num_test=8)
    order = list(range(20))[::-1]
    rows = ['group_0'] + [str(i) for i in order]
    (root / 'AV-MNIST_indices.csv').write_text('\n'.join(rows) + '\n')
    return dict(MSTAVMNISTDataset=str(root))


def test_mm_kd_cell_trains_two_iterations_teacher_frozen(tmp_path):
    roots = mst_avmnist(tmp_path / 'avmnist')
    cfg = tiny_config('configs/mst/kd_fusion-cnn-ia_lenet5-image_avmnist.py', roots, '',
                      tmp_path / 'w')
    runner, records = train(cfg)
    for record in records:
        assert distill_keys(record) == {'distill.loss_kd'}, record
    assert not any(m.training for m in runner.model.teacher.modules())


def test_cross_modal_kd_cell_trains_two_iterations(tmp_path):
    roots = mst_avmnist(tmp_path / 'avmnist')
    cfg = tiny_config('configs/mst/kd_lenet5-image_cnn3-audio_avmnist.py', roots, '',
                      tmp_path / 'w')
    _, records = train(cfg)
    assert all(distill_keys(r) == {'distill.loss_kd'} for r in records)


def test_nyu41_kd_cell_trains_two_iterations_with_41_outputs(tmp_path):
    from fdkd_mm.testing.synthetic_nyu import write_synthetic_nyu
    root = tmp_path / 'nyu'
    write_synthetic_nyu(root, num_train=6, num_test=4)
    (root / 'NYU-Depth-V2_indices.csv').write_text(
        '\n'.join(['group_0'] + [str(i) for i in range(10)]) + '\n')
    cfg = tiny_config('configs/mst/kd_dlv3p-r18-depth_dlv3p-r18-rgb_nyu41.py',
                      dict(MSTNYUDepthV2Dataset=str(root)), '', tmp_path / 'w',
                      overrides={'train_dataloader.dataset.num_frames': 10})
    runner, records = train(cfg)
    assert all(distill_keys(r) == {'distill.loss_kd'} for r in records)
    head = runner.model.student.decode_head
    assert head.conv_seg.out_channels == 41 and head.ignore_index == 0
    assert runner.model.losses['loss_kd'].ignore_index == 0  # void left out of KD as well


def mst_vggsound50k_and_crisismmd8(root: Path) -> dict:
    """Synthetic VGGSound (9 clips) and CrisisMMD (12 tweets) with their files in their formats:
    identity index columns, so the training split is the first 5 / 7 positions."""
    from fdkd_mm.testing.synthetic_mst import (write_index, write_mst_crisismmd8,
                                               write_mst_vggsound50k)
    write_mst_vggsound50k(str(root / 'vggsound'))
    write_index(str(root / 'vggsound' / 'VGGSound-50k_indices.csv'), [list(range(9))])
    write_mst_crisismmd8(str(root / 'crisismmd'))
    write_index(str(root / 'crisismmd' / 'CMMD-V2_indices.csv'), [list(range(12))])
    return dict(MSTVGGSoundDataset=str(root / 'vggsound'),
                MSTCrisisMMDDataset=str(root / 'crisismmd'))


# (config, classes, training samples: int(9 * 0.6) clips, int(12 * 0.6) tweets)
VGGSOUND50K_CRISISMMD8 = [
    ('uni_r18-audio_vggsound50k.py', 141, 5), ('uni_r18-visual_vggsound50k.py', 141, 5),
    ('kd_r18-audio_r18-visual_vggsound50k.py', 141, 5),
    ('kd_r18-visual_r18-audio_vggsound50k.py', 141, 5),
    ('uni_bert-text_crisismmd8.py', 8, 7), ('uni_mbv2-image_crisismmd8.py', 8, 7),
    ('kd_bert-text_mbv2-image_crisismmd8.py', 8, 7),
    ('kd_mbv2-image_bert-text_crisismmd8.py', 8, 7),
]


@pytest.mark.parametrize('config, classes, train_size', VGGSOUND50K_CRISISMMD8)
def test_vggsound50k_and_crisismmd8_cells_train_two_iterations(tmp_path, tokenizer_dir, config,
                                                               classes, train_size):
    roots = mst_vggsound50k_and_crisismmd8(tmp_path / 'data')
    cfg = tiny_config(f'configs/mst/{config}', roots, tokenizer_dir, tmp_path / 'w')
    runner, records = train(cfg)
    dataset = runner.train_dataloader.dataset
    assert len(dataset) == train_size and len(dataset.metainfo['classes']) == classes
    student = runner.model.student if config.startswith('kd_') else runner.model
    assert student.head.fc.out_features == classes
    if config.startswith('kd_'):
        assert all(distill_keys(r) == {'distill.loss_kd'} for r in records)
        assert not any(m.training for m in runner.model.teacher.modules())
