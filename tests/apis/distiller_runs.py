"""Distiller checkpoints and configs on synthetic data, for the export and inference tests."""
import copy
from dataclasses import dataclass
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner.checkpoint import save_checkpoint

from fdkd_mm.checkpoint.config_data import config_to_data
from fdkd_mm.registry import DATASETS, MODELS

REPO = Path(__file__).resolve().parents[2]
DATASET_BASES = REPO / 'configs' / '_base_' / 'datasets'
BASE = 8  # the tiny networks' ResNet width, as tests/conftest.py


def tiny_video_classifier(num_classes: int) -> dict:
    """The frame-folding ResNet-18 visual model of the configs, 8x narrower."""
    return dict(
        type='mmpretrain.ImageClassifier', _scope_='mmpretrain',
        data_preprocessor=dict(type='fdkd_mm.VideoDataPreprocessor'),
        backbone=dict(type='fdkd_mm.FrameFoldingBackbone',
                      backbone=dict(type='mmpretrain.ResNet', depth=18, stem_channels=BASE,
                                    base_channels=BASE, out_indices=(3, ))),
        neck=dict(type='GlobalAveragePooling', dim=3),
        head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=BASE * 8,
                  loss=dict(type='CrossEntropyLoss')))


@dataclass
class DistillerRun:
    """A distiller with perturbed weights, its config file and checkpoint."""
    cfg: Config
    config: Path
    checkpoint: Path
    distiller: torch.nn.Module


def write_distiller(directory: Path, dataset_base: str, model: dict, cfg_options: dict,
                    dataset_meta: dict, seed: int = 0) -> DistillerRun:
    """Config = a real dataset base + ``model``; weights moved away from any fresh init.

    The checkpoint's meta carries the config as MMEngine's Runner writes it (text) and as
    ``CheckpointMetaHook`` does (data, which the export reads).

    Running statistics are perturbed too, so a student that silently kept its own
    initialisation (or lost its BN buffers) predicts differently.
    """
    directory.mkdir(parents=True, exist_ok=True)
    cfg = Config.fromfile(str(DATASET_BASES / dataset_base))
    cfg.merge_from_dict(cfg_options)
    cfg.model = copy.deepcopy(model)
    config = directory / 'distiller.py'
    cfg.dump(str(config))
    torch.manual_seed(seed)
    distiller = MODELS.build(copy.deepcopy(model))
    with torch.no_grad():
        for tensor in distiller.state_dict().values():
            if tensor.is_floating_point():
                tensor.add_(torch.rand_like(tensor) * 0.2)
    distiller.eval()
    checkpoint = directory / 'distiller.pth'
    # The meta of a training checkpoint: the config text and the training set's metainfo
    # (MMEngine's Runner), the config as data (CheckpointMetaHook).
    save_checkpoint(dict(state_dict=distiller.state_dict(),
                         meta=dict(cfg=cfg.pretty_text, cfg_dict=config_to_data(cfg),
                                   dataset_meta=dataset_meta, epoch=3, iter=30)),
                    str(checkpoint))
    return DistillerRun(Config.fromfile(str(config)), config, checkpoint, distiller)


def distiller_prediction(run: DistillerRun, index: int = 0):
    """The distiller's test-time prediction for sample ``index`` of its test set.

    Returns:
        ``(data sample, data info)`` of that sample.
    """
    dataset = DATASETS.build(copy.deepcopy(run.cfg.test_dataloader.dataset))
    with torch.no_grad():
        prediction = run.distiller.test_step(pseudo_collate([dataset[index]]))[0]
    return prediction, dataset.get_data_info(index)


def runner_test(config: Path, checkpoint: Path, work_dir: Path, data_root: str) -> dict:
    """Metrics of MMEngine's test loop for ``config`` + ``checkpoint`` on ``data_root``."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(config))
    cfg.setdefault('default_scope', 'fdkd_mm')
    cfg.test_cfg = dict(type='TestLoop')
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.test_dataloader.dataset.data_root = data_root
    cfg.model.pop('teacher_ckpt', None)
    for key in ('train_dataloader', 'val_dataloader', 'val_evaluator', 'val_cfg'):
        cfg.pop(key, None)  # a test run only
    cfg.load_from, cfg.work_dir, cfg.launcher = str(checkpoint), str(work_dir), 'none'
    # Named global instances: a fresh name per run of this process.
    cfg.visualizer = dict(cfg.get('visualizer') or dict(type='Visualizer'),
                          name=f'visualizer_{work_dir.name}')
    cfg.experiment_name = f'test_{work_dir.name}'
    return {k: float(v) for k, v in Runner.from_cfg(cfg).test().items()}
