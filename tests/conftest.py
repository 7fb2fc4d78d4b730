"""Shared fixtures: tiny real mmpretrain / mmseg models and batches in the dataloader format."""
import os

import pytest
import torch

# No hub downloads, ever: weights come from local files in tests.
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
torch.set_num_threads(min(2, torch.get_num_threads()))

import fdkd_mm  # noqa: E402,F401  (registers our modules)

from fdkd_mm.testing.tiny_models import (BASE, NUM_CLS_CLASSES, NUM_SEG_CLASSES,  # noqa: E402
                                        cls_fd_distiller_cfg, seg_fd_distiller_cfg,
                                        tiny_classifier, tiny_segmentor)


@pytest.fixture
def cls_distiller_cfg() -> dict:
    """FD-CMKD: audio (1x64x48) teacher -> visual (3x32x32) student, pooled 64-d features."""
    return cls_fd_distiller_cfg()


@pytest.fixture
def seg_distiller_cfg() -> dict:
    """FD-CMKD: depth (1 channel) teacher -> RGB student, dense 16-d decode features."""
    return seg_fd_distiller_cfg()


def make_cls_batch(batch_size: int = 4, seed: int = 0) -> dict:
    """A batch as MMEngine's pseudo_collate yields it: lists per modality + data samples."""
    from mmpretrain.structures import DataSample
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, NUM_CLS_CLASSES, (batch_size,), generator=gen)
    return dict(
        inputs=dict(
            audio=[torch.randn(1, 64, 48, generator=gen) for _ in range(batch_size)],
            visual=[torch.randint(0, 256, (3, 32, 32), generator=gen, dtype=torch.uint8)
                    for _ in range(batch_size)]),
        data_samples=[DataSample().set_gt_label(int(label)) for label in labels])


def make_seg_batch(batch_size: int = 2, seed: int = 0, size=(32, 32)) -> dict:
    """An RGB-D segmentation batch with labels including ignored (255) pixels."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(batch_size):
        label = torch.randint(0, NUM_SEG_CLASSES, (1, *size), generator=gen)
        label[:, :3] = 255
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return dict(
        inputs=dict(
            rgb=[torch.randint(0, 256, (3, *size), generator=gen, dtype=torch.uint8)
                 for _ in range(batch_size)],
            depth=[torch.rand(1, *size, generator=gen) * 5 for _ in range(batch_size)]),
        data_samples=samples)


@pytest.fixture
def cls_batch() -> dict:
    return make_cls_batch()


@pytest.fixture
def seg_batch() -> dict:
    return make_seg_batch()


@pytest.fixture
def batch_factory():
    """``batch_factory(task, seed)`` builds a fresh 'cls' or 'seg' batch."""
    return lambda task, seed=0: dict(cls=make_cls_batch, seg=make_seg_batch)[task](seed=seed)


@pytest.fixture
def model_factory():
    """Access to the tiny model configs: ``model_factory.classifier(in_channels)`` etc."""
    class Factory:
        classifier = staticmethod(tiny_classifier)
        segmentor = staticmethod(tiny_segmentor)
        base = BASE
    return Factory
