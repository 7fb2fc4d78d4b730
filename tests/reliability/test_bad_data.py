"""Bad NYU samples raise errors naming the file and the fault, or are skipped and counted.

Each fault is checked against the protection removed by construction: the assertions match
the file path and the fault in the message, which mmcv / mmseg alone do not give (a truncated
PNG is an ``AssertionError: failed to load image``, an out-of-range label passes silently).
"""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch import nn

from fdkd_mm.datasets import NYUDepthV2Dataset
from fdkd_mm.testing import write_synthetic_nyu
from fdkd_mm.datasets.nyu_depth_v2 import BadSampleError
from fdkd_mm.engine.hooks import BadSampleReportHook  # noqa: F401  (registers it)

LOAD_ALL = [dict(type='LoadImageFromFile'), dict(type='LoadDepthFromFile'),
            dict(type='mmseg.LoadAnnotations', reduce_zero_label=True),
            dict(type='PackMultiModalSegInputs')]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    init_default_scope('fdkd_mm')
    return write_synthetic_nyu(tmp_path / 'nyu', num_train=4, num_test=1, height=32, width=40,
                               num_classes=5, seed=1)


def dataset(root: Path, **kwargs) -> NYUDepthV2Dataset:
    return NYUDepthV2Dataset(data_root=str(root), split='train', pipeline=LOAD_ALL, **kwargs)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def test_truncated_image_is_named(root):
    bad = root / 'train' / 'rgb' / '0002.png'
    truncate(bad)
    with pytest.raises(BadSampleError, match=f'{bad}: cannot be decoded, truncated'):
        dataset(root)[1]


def test_depth_of_wrong_dtype_is_named(root):
    bad = root / 'train' / 'depth' / '0003.png'
    cv2.imwrite(str(bad), np.full((32, 40), 7, np.uint8))
    with pytest.raises(BadSampleError, match=f'{bad}: dtype uint8.*uint16'):
        dataset(root)[2]


@pytest.mark.parametrize('value', [41, 200, 254])  # raw 255: mmseg's void too
def test_label_values_outside_0_40_are_named(root, value):
    bad = root / 'train' / 'labels_40' / '0001.png'
    label = cv2.imread(str(bad), cv2.IMREAD_UNCHANGED)
    label[5, 5] = value
    cv2.imwrite(str(bad), label)
    with pytest.raises(BadSampleError, match=rf'{bad}: label values \[{value}\] outside 0..40'):
        dataset(root)[0]


def test_valid_labels_including_void_and_40_pass(root):
    path = root / 'train' / 'labels_40' / '0001.png'
    label = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    label[0, :3] = (0, 40, 1)
    cv2.imwrite(str(path), label)
    assert dataset(root)[0]['data_samples'].gt_sem_seg.data.max() == 255


def test_stored_255_is_void_as_the_readme_says(root):
    """README: a stored 255 is void like 0 (mmseg's convention), it is ignored, not an error."""
    path = root / 'train' / 'labels_40' / '0001.png'
    label = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    label[0, :3] = (255, 0, 1)
    cv2.imwrite(str(path), label)
    loaded = dataset(root)[0]['data_samples'].gt_sem_seg.data[0]
    assert loaded[0, :3].tolist() == [255, 255, 0]


def test_modality_file_missing_at_load_time_is_named(root):
    ds = dataset(root)  # listed files existed when the dataset was built
    gone = root / 'train' / 'depth' / '0004.png'
    gone.unlink()
    with pytest.raises(BadSampleError, match=f'{gone}: missing'):
        ds[3]


def test_empty_split_file_is_named(root):
    (root / 'train.txt').write_text('\n')
    with pytest.raises(ValueError, match=f'{root / "train.txt"}.*no sample'):
        dataset(root)


def test_skip_bad_samples_replaces_and_marks(root):
    truncate(root / 'train' / 'rgb' / '0002.png')
    ds = dataset(root, skip_bad_samples=True)
    sample = ds[1]
    assert sample['data_samples'].img_path.endswith('0003.png')  # the next good one
    assert sample['data_samples'].bad_samples_replaced == ['0002']
    assert ds.num_bad_samples == 1
    assert 'bad_samples_replaced' not in ds[0]['data_samples']


def test_skip_gives_up_when_everything_is_bad(root):
    for path in (root / 'train' / 'rgb').glob('*.png'):
        truncate(path)
    with pytest.raises(BadSampleError, match='in a row'):
        dataset(root, skip_bad_samples=True, max_consecutive_bad=3)[0]


class MeanModel(BaseModel):
    """Smallest trainable model on the packed NYU inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        rgb = torch.stack(inputs['rgb']).float().mean()
        return dict(loss=(self.scale * rgb / 255 - 1) ** 2)


def test_report_hook_logs_the_count_per_epoch(root, tmp_path):
    truncate(root / 'train' / 'labels_40' / '0004.png')
    runner = Runner(
        model=MeanModel(), work_dir=str(tmp_path / 'work'), default_scope='fdkd_mm',
        experiment_name=f'bad_samples_{tmp_path.name}',  # a message hub of its own
        train_dataloader=dict(
            dataset=dict(type='NYUDepthV2Dataset', data_root=str(root), split='train',
                         pipeline=LOAD_ALL, skip_bad_samples=True),
            sampler=dict(type='DefaultSampler', shuffle=False), batch_size=2,
            num_workers=0, collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=None),
        custom_hooks=[dict(type='BadSampleReportHook')])
    runner.train()
    log = '\n'.join(p.read_text() for p in (tmp_path / 'work').glob('*/*.log'))
    assert 'epoch 1: 1 bad sample(s) skipped and replaced (1 in this run)' in log
    assert 'epoch 2: 1 bad sample(s) skipped and replaced (2 in this run)' in log
    assert runner.message_hub.get_info('bad_samples_total') == 2
